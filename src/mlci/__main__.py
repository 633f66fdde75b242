from mlci.cli import run

run()

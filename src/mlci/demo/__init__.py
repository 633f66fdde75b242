"""`mlci demo`: the example monorepo's story played end to end on a private cloud."""

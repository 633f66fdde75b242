"""The abalone model: data preparation, training, approval and deployment scripts."""

"""The churn model: data preparation, training, approval and deployment scripts."""

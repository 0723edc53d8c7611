"""Pretraining: config, loss, distributed set-up, checkpoints and the training loop."""

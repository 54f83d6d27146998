"""Litestar adapter: parse -> call the node -> return wire shapes, nothing else."""

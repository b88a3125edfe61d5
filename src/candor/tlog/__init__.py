"""The transparency log: RFC 6962 Merkle tree, C2SP signed notes, checkpoints, tiles and proofs.

Pure Python on ``cryptography``; nothing here imports the web, the CLI or the database layer.
"""

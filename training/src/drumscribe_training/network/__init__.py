"""The network (log-mel front-end + CRNN) and its training loop (Lightning)."""

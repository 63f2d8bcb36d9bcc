"""drumscribe training side: synthetic data, preprocessing, CRNN training, evaluation."""

"""Data: E-GMD (or the synthetic set in its layout), splits, HDF5 preprocessing, datasets and augmentation."""

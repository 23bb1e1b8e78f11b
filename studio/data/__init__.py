"""Datasets: the embedded digits and MNIST-format IDX folders."""

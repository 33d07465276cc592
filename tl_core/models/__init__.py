"""Networks: the backbone + head architectures, pretraining on MNIST, the zoo in assets/models with its cards,
model files (I/O), the float precision per CPU, and when a reading is unsure.

Imports `data` and the root modules only.
"""

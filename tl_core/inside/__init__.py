"""Looking inside a network: the feature-space picture with nearest-neighbour accuracy, filters, feature maps,
saliency.

Imports `models`, `data` and the root modules only.
"""

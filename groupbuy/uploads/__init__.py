"""Uploaded images (review, after-sale and message photos): type sniffed from the bytes, size and dimension
limits, metadata stripped, stored through the file-storage slot and served with cache headers."""

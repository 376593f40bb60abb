"""The reference marketplace (τ²-retail): load/export (`io`) and the tools that act on it (`tools`)."""

"""Request and response models: unknown fields refused, every size bounded."""

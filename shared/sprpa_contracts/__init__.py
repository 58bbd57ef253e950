"""The contracts between services: the versioned event catalogue, published as AsyncAPI."""

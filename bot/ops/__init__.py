"""Operations: the Prometheus metrics of ``GET /metrics`` (see docs/operations.md)."""

"""Operations endpoints: liveness, readiness, Swagger UI assets."""

"""HTTP layer: routers, schemas, auth dependencies, the error envelope. No business rules here."""

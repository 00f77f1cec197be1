"""What both surfaces say on the wire, with no web framework: the API's objects as JSON values
(`views`), the REST bodies (`bodies`), the OpenAPI document (`openapi`) and the error envelope
(`envelope`). The HTTP and GraphQL surfaces, the control API and the checker build on it."""

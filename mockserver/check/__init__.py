"""`doitong-mock check`: the mock's contract run against any endpoint that speaks the Doitong
API, the real one included, reporting every difference operation by operation.

A client only: it imports neither the server (starlette, uvicorn, ariadne) nor its state. Its
expectations are what the mock itself serves (see `expectations`).

- `client`: the one way out, bound to BASE_URL, paced by the plan's rate-limit headers, capped.
- `expectations`: the schema, OpenAPI document, error codes, headers and tables of the mock.
- `shapes`, `schema_diff`: JSON against those types; the target's schema against ours.
- `free`, `spend`, `ratelimits`: the checks. `webhook`, `media`: what `--spend` receives and fetches.
- `report`: the table, the JSON and the exit code. `cli`: the command line.
"""

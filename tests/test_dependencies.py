"""Pins on the few non-public APIs of our dependencies the mock relies on, so an upgrade that
breaks one fails here, loudly and by name, instead of somewhere in the behaviour tests.

(The graphql-core error messages `graphql/errors.py` reads the field name from are pinned by
tests/test_graphql.py::test_bad_input_is_a_400_naming_the_field.)
"""

from __future__ import annotations

import gc
import inspect

import h11
import pytest
from ariadne.asgi.handlers import GraphQLTransportWSHandler, GraphQLWSHandler
from graphql import Executor, build_schema, execute_sync, parse
from starlette.responses import FileResponse, MalformedRangeHeader, RangeNotSatisfiable
from uvicorn.protocols.http.h11_impl import H11Protocol

from mockserver.graphql.execution import AcyclicExecutor


def test_starlette_file_response_parses_ranges_with_the_errors_media_answers_with():
    assert FileResponse._parse_range_header("bytes=0-9", 100) == [(0, 10)]
    with pytest.raises(MalformedRangeHeader) as malformed:
        FileResponse._parse_range_header("pages=1", 100)
    assert isinstance(malformed.value.content, str)
    with pytest.raises(RangeNotSatisfiable) as unsatisfiable:
        FileResponse._parse_range_header("bytes=500-600", 100)
    assert unsatisfiable.value.max_size == 100


def test_h11_exposes_the_bytes_it_has_buffered():
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: x\r\n")
    data, closed = conn.trailing_data
    assert data == b"GET / HTTP/1.1\r\nHost: x\r\n" and closed is False


def test_uvicorn_h11_protocol_has_the_hooks_the_guarded_protocol_overrides():
    for name in ("send_400_response", "data_received", "connection_made", "connection_lost", "on_response_complete"):
        assert callable(getattr(H11Protocol, name, None)), name
    assert list(inspect.signature(H11Protocol.send_400_response).parameters) == ["self", "msg"]


def test_uvicorn_httptools_protocol_has_the_parser_callbacks_the_guarded_protocol_overrides():
    impl = pytest.importorskip("uvicorn.protocols.http.httptools_impl", reason="httptools is not installed here")
    for name in ("on_message_begin", "on_headers_complete", "on_message_complete", "on_response_complete",
                 "data_received", "connection_made", "connection_lost", "send_400_response"):
        assert callable(getattr(impl.HttpToolsProtocol, name, None)), name


def test_ariadne_transport_ws_handler_has_the_methods_the_websocket_surface_overrides():
    for name, params in {
        "handle_websocket_connection_init_message": ["self", "websocket", "message", "client_context"],
        "handle_websocket_subscribe": ["self", "websocket", "data", "operation_id", "client_context"],
        "observe_async_results": ["self", "websocket", "results_producer", "operation_id", "client_context"],
    }.items():
        assert list(inspect.signature(getattr(GraphQLTransportWSHandler, name)).parameters) == params, name


def test_ariadne_legacy_ws_handler_has_the_methods_the_websocket_surface_overrides():
    for name, params in {
        "handle_websocket_connection_init_message": ["self", "websocket", "message"],
        "process_single_message": ["self", "websocket", "data", "operation_id", "operations"],
        "observe_async_results": ["self", "websocket", "results", "operation_id"],
        "stop_websocket_operation": ["self", "websocket", "operation"],
    }.items():
        assert list(inspect.signature(getattr(GraphQLWSHandler, name)).parameters) == params, name
    assert GraphQLWSHandler.GQL_CONNECTION_ERROR == "connection_error" and GraphQLWSHandler.GQL_ERROR == "error"


def _cyclic_garbage(run) -> int:
    """Objects that only the garbage collector could free after `run()`."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        run()
        gc.collect()
        return len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_graphql_core_executors_leave_a_cycle_that_the_endpoint_executor_cuts():
    schema = build_schema("type Query { greeting: String }")
    document = parse("{ greeting }")

    def run(executor_class):
        return lambda: execute_sync(schema, document, {"greeting": "hi"}, executor_class=executor_class)

    assert _cyclic_garbage(run(Executor)) > 0  # when this fails, graphql-core fixed it: drop AcyclicExecutor
    assert _cyclic_garbage(run(AcyclicExecutor)) == 0
    assert execute_sync(schema, document, {"greeting": "hi"}, executor_class=AcyclicExecutor).data == {"greeting": "hi"}

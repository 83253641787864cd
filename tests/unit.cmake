# Link-time test doubles for unit tests (included by tests/CMakeLists.txt
# after the test_<name> targets exist): the network and the FastCGI stream
# stay out of unit tests; the wrappers live in the test files.
target_link_options(test_fcgiio PRIVATE
  -Wl,--wrap=FCGX_GetStr -Wl,--wrap=FCGX_PutStr)
target_link_options(test_turn PRIVATE -Wl,--wrap=llm_complete)
target_sources(test_pool PRIVATE fcgi_client.c)
# The collector stays out of the flusher's unit test.
target_link_options(test_flusher PRIVATE -Wl,--wrap=exporter_send)
target_link_options(test_feedship PRIVATE -Wl,--wrap=exporter_send)
# Spans with the attribute types the project never writes (tests/testspan.h).
foreach(t otlp spool spanscan)
  target_sources(test_${t} PRIVATE testspan.c)
  target_link_options(test_${t} PRIVATE
    -Wl,--wrap=span_write_json -Wl,--wrap=span_free)
endforeach()
# Protobuf back to OTLP/JSON, and packed collector answers: test code.
target_sources(test_otlp PRIVATE otlpjson.c)
target_sources(test_flusher PRIVATE otlpjson.c)
# The viewer's reader against the flusher's, on the fuzz corpus.
target_sources(test_spanscan PRIVATE spoolagree.c)
# The scripted loopback HTTP server of the HTTP client tests.
foreach(t httpc exporter)
  target_sources(test_${t} PRIVATE testsrv.c)
endforeach()
# A disk that fills mid-line, for the spool's full-disk rule.
target_link_options(test_spool PRIVATE -Wl,--wrap=fileio_write_all)
# chat-fcgi's routes without the handlers behind them (tests/test_route.c).
target_link_options(test_route PRIVATE -Wl,--wrap=FCGX_GetStr
  -Wl,--wrap=FCGX_PutStr -Wl,--wrap=turn_run -Wl,--wrap=feedback_handle
  -Wl,--wrap=spool_get_stats)
# span-flusher's loop over scripted steps (tests/test_shipper.c).
target_link_options(test_shipper PRIVATE -Wl,--wrap=flusher_step
  -Wl,--wrap=feedship_step -Wl,--wrap=feedship_waiting)
# The offsets' fsyncs, counted (tests/fsynccount.h).
foreach(t ckpt flusher)
  target_sources(test_${t} PRIVATE fsynccount.c)
  target_link_options(test_${t} PRIVATE -Wl,--wrap=fsync)
endforeach()

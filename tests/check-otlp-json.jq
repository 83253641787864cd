# check-otlp-json.jq - check that every line of spool segments is one
# OTLP/JSON TracesData as spool.c writes it (docs/spool-format.md).
#
#   jq -n -R -e -f tests/check-otlp-json.jq SEGMENT.jsonl...
#
# Prints {"lines":N,"spans":M,"bad":[...]} and exits 0 when every line is
# good, non-zero (5) when any line is not, naming each bad line and why.
# -n -R make jq read raw lines, so a line that is not exactly one JSON
# object (torn, empty, two objects) is caught too.

def fail(msg): error(msg);

def check(cond; msg): if cond then . else fail(msg) end;

def isint: type == "number" and . == floor;

def uint32: isint and . >= 0 and . <= 4294967295;

# A decimal string of an unsigned 64-bit integer.
def u64str:
  type == "string" and test("^(0|[1-9][0-9]{0,19})$") and
  (length < 20 or . <= "18446744073709551615");

# A decimal string of a signed 64-bit integer.
def i64str:
  type == "string" and test("^(0|-?[1-9][0-9]{0,18})$") and
  (if startswith("-") then .[1:] | length < 19 or . <= "9223372036854775808"
   else length < 19 or . <= "9223372036854775807" end);

def u64ge($a; $b): ($a | length) > ($b | length) or
  (($a | length) == ($b | length) and $a >= $b);

def hexid($n): type == "string" and test("^[0-9a-f]{\($n)}$") and
  test("^0+$") == false;

def optional($k; f; msg):
  if has($k) then (.[$k] | check(f; msg)) as $_ | . else . end;

def anyvalue:
  check(type == "object" and length == 1; "value must have exactly one field")
  | if has("stringValue") then .stringValue | check(type == "string"; "stringValue not a string")
    elif has("intValue") then .intValue | check(i64str; "intValue not a decimal int64 string")
    elif has("doubleValue") then .doubleValue
      | check(type == "number" or . == "NaN" or . == "Infinity" or . == "-Infinity";
              "doubleValue not a number")
    elif has("boolValue") then .boolValue | check(type == "boolean"; "boolValue not a boolean")
    elif has("arrayValue") then .arrayValue
      | check(type == "object"; "arrayValue not an object")
      | (.values // []) | check(type == "array"; "arrayValue.values not an array")
      | .[] | anyvalue
    else fail("unknown value type \(keys)") end;

def attributes($what):
  check(type == "array"; "\($what) attributes not an array")
  | .[] | check(type == "object"; "\($what) attribute not an object")
  | check(.key | type == "string" and length > 0; "\($what) attribute key missing")
  | .key as $k | .value | check(. != null; "attribute \($k) has no value")
  | anyvalue;

def counts:
  optional("droppedAttributesCount"; uint32; "droppedAttributesCount not a count")
  | optional("droppedEventsCount"; uint32; "droppedEventsCount not a count")
  | optional("droppedLinksCount"; uint32; "droppedLinksCount not a count");

def event:
  check(type == "object"; "event not an object")
  | check(.timeUnixNano | u64str; "event timeUnixNano not a decimal string")
  | check(.name | type == "string" and length > 0; "event name missing")
  | (.attributes // [] | attributes("event")), counts;

def link:
  check(type == "object"; "link not an object")
  | check(.traceId | hexid(32); "link traceId not 32 lowercase hex, non-zero")
  | check(.spanId | hexid(16); "link spanId not 16 lowercase hex, non-zero")
  | optional("traceState"; type == "string"; "link traceState not a string")
  | optional("flags"; uint32; "link flags not a fixed32")
  | (.attributes // [] | attributes("link"));

def span:
  check(type == "object"; "span not an object")
  | check(.traceId | hexid(32); "traceId not 32 lowercase hex, non-zero")
  | check(.spanId | hexid(16); "spanId not 16 lowercase hex, non-zero")
  | check((.parentSpanId // "") | . == "" or hexid(16); "parentSpanId not empty or 16 lowercase hex, non-zero")
  | optional("traceState"; type == "string"; "traceState not a string")
  | optional("flags"; uint32; "flags not a fixed32")
  | check(.name | type == "string"; "name not a string")
  | check(.kind | isint and . >= 0 and . <= 5; "kind not an integer 0-5")
  | check(.startTimeUnixNano | u64str; "startTimeUnixNano not a decimal string")
  | check(.endTimeUnixNano | u64str; "endTimeUnixNano not a decimal string")
  | check(u64ge(.endTimeUnixNano; .startTimeUnixNano); "endTimeUnixNano before startTimeUnixNano")
  | check(.status | type == "object"; "status not an object")
  | check(.status.code | isint and . >= 0 and . <= 2; "status.code not 0, 1 or 2")
  | check(.status.message | . == null or type == "string"; "status.message not a string")
  | (.attributes // [] | attributes("span")),
    counts,
    (.events // [] | check(type == "array"; "events not an array") | .[] | event),
    (.links // [] | check(type == "array"; "links not an array") | .[] | link);

def scopespans:
  check(type == "object"; "scopeSpans entry not an object")
  | check(.scope.name | type == "string" and length > 0; "scope name missing")
  | check(.scope.version | . == null or type == "string"; "scope version not a string")
  | check(.spans | type == "array" and length > 0; "spans missing or empty")
  | .spans[] | span;

def resourcespans:
  check(type == "object"; "resourceSpans entry not an object")
  | check(.resource.attributes | type == "array"; "resource attributes missing")
  | check([.resource.attributes[] | select(.key == "service.name")] | length == 1;
          "resource service.name missing")
  | (.resource.attributes | attributes("resource")),
    (check(.scopeSpans | type == "array" and length > 0; "scopeSpans missing or empty")
     | .scopeSpans[] | scopespans);

def tracesdata:
  check(type == "object"; "line is not a JSON object")
  | check(.resourceSpans | type == "array" and length > 0; "resourceSpans missing or empty")
  | [.resourceSpans[] | resourcespans] | length;

# One result per line: the number of spans, or the reason it is bad.
def checkline:
  (try fromjson catch "not one JSON object: \(.)") as $v
  | if ($v | type) == "string" and ($v | startswith("not one JSON"))
    then {bad: $v}
    else try ($v | tracesdata | {spans: ([$v.resourceSpans[].scopeSpans[].spans[]] | length)})
         catch {bad: .}
    end
  | . + {file: input_filename, line: input_line_number};

[inputs | checkline] as $r
| {lines: ($r | length),
   spans: ([$r[].spans // 0] | add // 0),
   bad: [$r[] | select(has("bad")) | "\(.file):\(.line): \(.bad)"]}
| ., (if (.bad | length) > 0 or .lines == 0
      then error("\(.bad | length) bad line(s), \(.lines) read") else empty end)

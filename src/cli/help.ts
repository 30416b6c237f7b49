/**
 * Help text for `lifeline` and each command, with examples. Plain strings so
 * `--help` never touches the network or the transport.
 *
 * Imports only ./exit.js.
 */
import { EXIT_CODE_HELP } from './exit.js';

const CONNECTION = `Connection options (connect, probe):
  -p, --protocol <name>   offer a subprotocol (repeatable, in order of preference)
  -H, --header <k: v>     add a request header (repeatable)
  -o, --origin <origin>   send an Origin header
      --deflate           offer permessage-deflate (default)
      --no-deflate        do not offer compression
      --ca <file>         trust this PEM CA certificate (repeatable) for wss://
  -k, --insecure          do not verify the server certificate
      --proxy <url>       connect through an HTTP CONNECT proxy (default: HTTPS_PROXY / HTTP_PROXY)
  -t, --timeout <s>       opening handshake timeout in seconds (default 10)
      --json              machine-readable stdout, no progress (connect: one event per
                          line; probe: one report)
      --trace             show the handshake headers and every frame (opcode, FIN/RSV, length)
  -h, --help              show this help`;

export const MAIN_HELP = `lifeline __LIFELINE_VERSION__: talk to, probe and test WebSocket servers

Usage:
  lifeline connect <url> [options]     interactive session (stdin lines are sent, replies printed)
  lifeline probe <url> [options]       handshake report, round trips, compression
  lifeline autobahn <fuzzingserver>    run the Autobahn|Testsuite client cases
  lifeline <command> --help            options and examples for one command
  lifeline --version

URLs: ws://, wss://, http:// and https:// (mapped to ws/wss); a bare host:port means ws://.

Examples:
  lifeline connect wss://echo.example.com
  echo '{"op":"ping"}' | lifeline connect ws://localhost:8080 --json
  lifeline probe wss://api.example.com/socket --echo --count 20

${EXIT_CODE_HELP}`;

export const CONNECT_HELP = `Usage: lifeline connect <url> [options]

Opens a WebSocket and sends every line read from stdin (a terminal or a pipe)
as a text message. Received messages are printed with their time and size.

Lines starting with a backslash are commands:
  \\x 68 65 6c 6c 6f        send the hex bytes as a binary message
  \\ping [text]             send a ping (the RTT is printed when the pong arrives)
  \\close [code [reason]]   close the connection (default 1000)
  \\\\text                   send '\\text' (a doubled backslash escapes)
  \\help                    list these commands
Empty lines are skipped (\\x alone sends an empty binary message).

Session options:
  -x, --execute <msg>     send <msg> (repeatable) and exit once as many replies
                          arrived, or after --wait seconds (exit code 3)
  -w, --wait <s>          after the input ends, wait this long for replies (default 2)
  -b, --binary            send every input line as a binary message (its UTF-8 bytes)
  -c, --show-control      show ping, pong and close frames
      --ping <s>          send a ping every <s> seconds and print the round trip
  -r, --reconnect         use the resilient client: reconnect with backoff and show state changes

${CONNECTION}

With a pipe, the session ends when stdin ends and the replies have arrived
(as many messages as were sent), or --wait seconds passed without a message
(then it closes with 1000 and exits 0; only --execute treats missing replies
as a timeout). Ctrl-C closes the connection with 1000 (a second Ctrl-C drops it).

Output: received messages go to stdout (\`< time size text\`, binary as hex);
status, --trace and --show-control lines go to stderr. With --json every event
is one object on stdout: open, sent, message ({type,size,data}; binary data is
hex with "encoding":"hex"), ping, pong (rttMs), close (code, reason, wasClean,
initiatedBy), error (code, kind, explanation), trace, and with --reconnect
state and reconnecting.

Examples:
  lifeline connect ws://localhost:8080/chat -p chat -H "Authorization: Bearer $TOKEN"
  lifeline connect wss://example.com/ws -x '{"type":"subscribe"}' --json
  printf 'one\\ntwo\\n' | lifeline connect ws://localhost:8080 --wait 5
  lifeline connect wss://localhost:8443 --ca ./ca.pem --trace --show-control`;

export const PROBE_HELP = `Usage: lifeline probe <url> [options]

Opens one connection and reports: HTTP status, negotiated subprotocol and
extensions (with parameters), response headers, time to open, ping round trips,
with --echo the message echo latency (avg, p50, p99), messages sent and
received, and with permessage-deflate the compression ratio on the wire
(frame payload bytes / message bytes; lower is better). On failure it says why
in plain words (DNS, refused, TLS, HTTP status and body, bad accept key,
unoffered extension ...) and exits 1.

Probe options:
  -n, --count <N>         pings (and with --echo, messages) to send (default 5)
  -s, --size <bytes>      size of each echo message (default 1024, repetitive JSON-like text;
                          lifeline compresses messages from 1 KiB on)
  -e, --echo              send --count messages and time each echo (the server must echo)

${CONNECTION}

--trace prints the handshake and every frame on stderr (not with --json).
--json prints exactly one report:
  {"operation":"probe","target":"ws://...","status":"success"|"failure",
   "handshake":{"status":101,"protocol":"...","extensions":[{"name":...,"params":{...}}],
                "headers":{...},"openMs":...},
   "metrics":{"messagesSent":N,"messagesReceived":N,"avgLatencyMs":...,"p50LatencyMs":...,
              "p99LatencyMs":...,"ping":{...},"echo":{...},"compressionRatio":...},
   "error":null | {"code":"...","kind":"...","message":"...","explanation":"..."}}

Examples:
  lifeline probe ws://localhost:8080 --echo
  lifeline probe wss://api.example.com/socket -H "Authorization: Bearer $TOKEN" --json
  lifeline probe wss://localhost:8443 --ca ./ca.pem --no-deflate`;

export const AUTOBAHN_HELP = `Usage: lifeline autobahn <fuzzingserver-url> [options]

Runs the Autobahn|Testsuite client cases against lifeline's Node WebSocket
(getCaseCount, runCase with echo, updateReports) and prints the summary.
Start the fuzzing server first (docker; a directory ./autobahn holding
fuzzingserver.json, e.g. {"url":"ws://127.0.0.1:9001","outdir":"/reports",
"cases":["*"]}; reports land in ./autobahn/reports):
  docker run -it --rm -p 9001:9001 -v "$PWD/autobahn:/config" \\
    -v "$PWD/autobahn/reports:/reports" crossbario/autobahn-testsuite \\
    wstest -m fuzzingserver -s /config/fuzzingserver.json

Options:
      --url <url>         the fuzzing server, instead of the positional argument
                          (so \`npm run autobahn -- --url ws://127.0.0.1:9001\` works)
      --agent <name>      agent name in the report (default lifeline)
      --cases <list>      only these case numbers (1-based, as the server counts), e.g. 1-16,30
      --no-deflate        do not offer permessage-deflate (the 12.x/13.x compression cases then
                          report UNIMPLEMENTED)
      --json              print one object:
                          {"compliance":{"rfc6455":"pass"|"fail","autobahnPassed":N,"autobahnFailed":N,
                           "nonStrict":N,"informational":N,"unimplemented":N,"total":N},
                           "target":...,"agent":...,"failedCases":[{"case":N,"id":"x.y.z","behavior":...}],
                           "durationMs":N}
  -h, --help              show this help

Examples:
  lifeline autobahn ws://127.0.0.1:9001
  lifeline autobahn ws://127.0.0.1:9001 --cases 1-16 --json

"rfc6455" is "pass" when no case FAILED (NON-STRICT, INFORMATIONAL and
UNIMPLEMENTED verdicts are reported but do not fail it). Exit code 0 when
no case failed, 1 otherwise (or when the fuzzing server cannot be reached).`;

export function helpFor(topic: string | undefined): string {
  switch (topic) {
    case 'connect':
      return CONNECT_HELP;
    case 'probe':
      return PROBE_HELP;
    case 'autobahn':
      return AUTOBAHN_HELP;
    default:
      return MAIN_HELP;
  }
}

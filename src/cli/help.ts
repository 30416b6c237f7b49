/**
 * Help text for `lifeline` and each command, with examples. Plain strings so
 * `--help` never touches the network or the transport.
 *
 * Imports only ./exit.js.
 */
import { EXIT_CODE_HELP } from './exit.js';

const CONNECTION = `Connection options (connect, probe):
  -p, --protocol <name>   offer a subprotocol (repeatable, in order of preference); a number
                          is wscat's protocol version: 13 is accepted, others refused
      --subprotocol <name>  the same (connect: -s)
  -H, --header <k: v>     add a request header (repeatable)
      --auth <user:pass>  HTTP Basic authentication on the upgrade request
  -o, --origin <origin>   send an Origin header
      --host <host[:port]>  the Host header to send (default: the URL's); the connection
                          still goes to the URL's host (a virtual host behind an address)
      --deflate           offer permessage-deflate (default)
      --no-deflate        do not offer compression
      --ca <file>         trust this PEM CA certificate (repeatable) for wss://
      --cert <file>       a TLS client certificate (PEM), with --key
      --key <file>        its private key (PEM); --passphrase <text> if encrypted
  -k, --insecure          do not verify the server certificate (also --no-check; connect: -n)
  -L, --location          follow redirects of the upgrade request (--max-redirects <n>, default 10)
      --proxy <url>       connect through an HTTP CONNECT proxy (default: HTTPS_PROXY / HTTP_PROXY)
  -t, --timeout <s>       opening handshake timeout in seconds (default 10)
      --json              machine-readable stdout, no progress (connect: one event per
                          line; probe: one report)
      --trace             show the handshake headers and every frame (opcode, FIN/RSV, length)
  -h, --help              show this help`;

export const MAIN_HELP = `lifeline __LIFELINE_VERSION__: talk to, probe and test WebSocket servers

Usage:
  lifeline connect <url> [options]     interactive session (stdin lines are sent, replies printed)
  lifeline serve [options]             a WebSocket server that injects faults, to test clients
  lifeline probe <url> [options]       handshake report, round trips, compression
  lifeline autobahn <fuzzingserver>    run the Autobahn|Testsuite client cases
  lifeline <command> --help            options and examples for one command
  lifeline --version

URLs: ws://, wss://, http:// and https:// (mapped to ws/wss); a bare host:port means ws://.

Examples:
  lifeline connect wss://echo.example.com
  echo '{"op":"ping"}' | lifeline connect ws://localhost:8080 --json
  lifeline serve --port 8080 --chaos drop:every=10s
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
  -c, --connect <url>     the URL (instead of the positional argument, as wscat takes it)
  -x, --execute <msg>     send <msg> (repeatable) and exit once as many replies
                          arrived, or after --wait seconds (exit code 3)
  -w, --wait <s>          after the input ends, wait this long for replies (default 2)
  -1, --one-message       send at most one message and exit after the first one received
                          (exit code 3 if none came within --wait after the input ended)
  -b, --binary            send every input line as a binary message (its UTF-8 bytes)
  -P, --show-ping-pong    show ping, pong and close frames (also --show-control)
      --ping <s>          send a ping every <s> seconds and print the round trip
                          (also --ping-interval)
      --ping-timeout <s>  drop the connection (exit 1) when a ping has had no pong for <s>
      --slash             also take wscat's /ping, /close, /x, /help for the \\ commands
  -r, --reconnect         use the resilient client: reconnect with backoff and show state changes
  -s, --subprotocol <name>  offer a subprotocol (as -p)
  -n, --no-check          do not verify the server certificate (as -k)

${CONNECTION}

With a pipe, the session ends when stdin ends and the replies have arrived
(as many messages as were sent), or --wait seconds passed without a message
(then it closes with 1000 and exits 0; only --execute and --one-message
treat missing replies as a timeout). Ctrl-C closes the connection with 1000 (a second Ctrl-C drops it).

Output: received messages go to stdout (\`< time size text\`, binary as hex);
status, --trace and --show-control lines go to stderr. With --json every event
is one object on stdout: open, sent, message ({type,size,data}; binary data is
hex with "encoding":"hex"), ping, pong (rttMs), close (code, reason, wasClean,
initiatedBy), error (code, kind, explanation), trace, and with --reconnect
state and reconnecting.

Coming from wscat or websocat: their flags above work as they do there;
-c is wscat's --connect (show control frames with -P), -p 13 is wscat's
protocol version, --host sets the Host header as in wscat, -l points to
'lifeline serve'.

Examples:
  lifeline connect ws://localhost:8080/chat -s chat -H "Authorization: Bearer $TOKEN"
  lifeline connect wss://example.com/ws -x '{"type":"subscribe"}' --json
  printf 'one\\ntwo\\n' | lifeline connect ws://localhost:8080 --wait 5
  echo ping | lifeline connect ws://localhost:8080 -1
  lifeline connect wss://localhost:8443 --ca ./ca.pem --trace -P
  lifeline serve --port 8080 & lifeline connect -c ws://127.0.0.1:8080 -x hello`;

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

export const SERVE_HELP = `Usage: lifeline serve [options]

A WebSocket server that misbehaves on purpose, for testing clients: it
echoes (or broadcasts, or answers with a fixed reply) and injects faults on
command: typed on stdin, requested over HTTP on the same port, or scripted
with --chaos.

Try it, in two terminals:
  lifeline serve --port 8080
  lifeline connect ws://127.0.0.1:8080 -x hello          # < … hello
then in a third (or type 'drop' in the first):
  curl -X POST 'http://127.0.0.1:8080/fault/drop'        # the client sees 1006
  lifeline connect ws://127.0.0.1:8080 -r                # the resilient client reconnects

Server options:
  -p, --port <n>             port to listen on (default 8080; 0 = any free port, printed)
      --host <address>       address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)
      --echo                 send every message back to its sender (default)
  -b, --broadcast            send every message to every connection (the sender too)
      --reply <text>         answer every message with this text
  -s, --subprotocol <name>   accept this subprotocol (repeatable, or comma-separated; the first
                             one in this order that the client offers is chosen, else none)
      --no-deflate           decline permessage-deflate (default: accept a client's offer)
      --deflate-threshold <bytes>      compress messages from this size (default 1024)
      --server-no-context-takeover     compress each message alone (RFC 7692 §7.1.1.1)
      --client-no-context-takeover     ask clients to compress each message alone (§7.1.1.2)
      --server-max-window-bits <8-15>  our LZ77 window, announced to clients (§7.1.2.1)
      --client-max-window-bits <8-15>  limit a client's window when its offer allows (§7.1.2.2)
      --max-payload <bytes>  largest message accepted (default 100 MiB; over it: close 1009)
      --tls                  serve wss:// with a self-signed certificate made at start (in-process,
                             no openssl needed); its SHA-256 fingerprint and a PEM file to pass
                             to --ca are printed
      --cert <file>          serve wss:// with this PEM certificate (with --key)
      --key <file>           its PEM private key
      --passphrase <text>    the key's passphrase
      --chaos <spec>         a scripted fault (repeatable): <fault>[:<param>=<value>,...] with
                             timing keys every=, after= and times= (durations 5, 1.5, 500ms, 2m):
                               drop:every=5s   refuse:status=503,seconds=3,every=20s
                               close:code=1012,after=10s   silent:after=30s,times=1
      --no-control           no HTTP control endpoint
      --json                 one JSON event per line on stdout (see below)
  -q, --quiet                no line per message in the human log
  -h, --help                 show this help

Faults (stdin: name and parameters in order, e.g. 'refuse 429 10'; HTTP: GET or
POST /fault/<name>?<param>=<value>, answering {"ok":true,"fault":...,"message":...}
or 400/404 {"ok":false,"error":...}; /fault/stats shows connections and faults):
  drop                          drop every connection without a close frame (clients see 1006)
  close [code] [reason]         close every connection with a close frame (default 1012)
  refuse [status] [seconds] [retry-after]
                                answer new handshakes with an HTTP status (default 503 for 5 s) and
                                Retry-After (default: the seconds left; a number, or 'none')
  silent [seconds]              half-open: connections stop reading, answering and sending while
                                TCP stays open (new ones too, for seconds); dropped after 2 minutes
  slow [seconds]                slow reader: stop reading for a while (default 10 s); TCP
                                backpressure reaches the client
  restart [seconds]             drop everything, stop listening, listen again after seconds (default 2)
  delay [seconds] [for]         delay every handshake answer by seconds (default 5), for 'for'
                                seconds (default 0: until reset)
  malformed [kind]              send a malformed frame to every connection; kinds: opcode (default),
                                rsv, mask, length, control, continuation, close-code (a client must
                                close with 1002) and utf8 (1007)
  reset                         clear every fault (silent connections stay silent)
  stats                         connections and the faults in force
  help, quit

JSON log (--json): one object per line, each with "event" and "time":
  listening   {url, host, port, mode, protocols, deflate, tls, fingerprint, certFile, control, chaos}
  connection  {id, remote, path, protocol, extensions, origin}
  message     {id, type, size, data} (binary data as hex with "encoding":"hex"; cut at 64 KiB
              with "truncated":true)
  sent        {id, type, size}        ping, pong  {id, size}
  close       {id, code, reason, wasClean}
  error       {id, code, message, closeCode}    (a client broke the protocol)
  refused     {id, remote, status, reason:"fault"|"request", ...}
  fault       {fault, params, message, source:"stdin"|"http"|"chaos"}
  log         {message}     stats {connections, faults}     stopped {reason}

Ctrl-C, SIGTERM or 'quit' close every connection with 1001 and exit 0; exit 1
when the port cannot be used, 2 for a usage error.`;

export function helpFor(topic: string | undefined): string {
  switch (topic) {
    case 'connect':
      return CONNECT_HELP;
    case 'serve':
      return SERVE_HELP;
    case 'probe':
      return PROBE_HELP;
    case 'autobahn':
      return AUTOBAHN_HELP;
    default:
      return MAIN_HELP;
  }
}

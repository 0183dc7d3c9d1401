/** cfkctl's help texts: the examples under --help and the --man manual. */

export const EXAMPLES = `
Service references (svcref):
  web1          the service named web1
  @web          every service tagged web
  all           every service (the default for status, pids, desc, tail)

Examples:
  cfkctl status                        every service: state, since when
  cfkctl status @web db                services tagged web, and db
  cfkctl status -l web1                pid, uptime, restarts, cmd, memory, CPU
  cfkctl start @web                    start all services tagged web
  cfkctl restart all
  kill -9 $(cfkctl pid svc1)           cfkd notices and restarts svc1
  cfkctl load services.conf            declare services from a file
  cfkctl load - <<END
  service svc1 cmd=sleep 100
  END
  cfkctl tail -f web1                  follow web1's output (Ctrl-C to stop)
  cfkctl --json status | jq '.[] | select(.state != "running") | .name'
  cfkctl --address 127.0.0.1:7000 status    a cfkd listening on TCP

Properties of services, sockets and proxies: cfkctl help properties

Exit codes: 0 success, 1 cfkd answered an error, 2 usage error,
3 cfkd cannot be reached. More: cfkctl --man`;

export const MANUAL = `cfkctl - control a running cfkd (ControlFreak)

SYNOPSIS
  cfkctl [--address ADDR] [--timeout SECS] [--basedir DIR] [-y] [--json] COMMAND [SVCREF ...]

DESCRIPTION
  cfkctl connects to the management socket of cfkd, sends it one request per
  service reference, and prints the answers. It speaks the ControlFreak 1.0
  protocol, so it also drives an original cfkd.

ADDRESS
  --address, else the CFKD_ADDRESS environment variable, else
  unix:$HOME/.controlfreak/sock (the default socket of cfkd).
    unix:/tmp/cfkd.sock     a unix socket
    /tmp/cfkd.sock          the same
    run/cfkd.sock           a unix socket relative to the current directory
    127.0.0.1:7000          TCP on localhost, port 7000
    [::1]:7000              TCP over IPv6

SERVICE REFERENCES
    NAME      one service
    @TAG      every service with that tag (see 'service NAME tags=a,b')
    all       every service
  status, pids, desc, tail and events default to all; start, stop, restart,
  up, down and destroy need at least one reference (write 'all' to mean
  everything).

COMMANDS
  status [svcref...]     STATE NAME, and how long ago it last started or
                         stopped, with the local date:
                           running  web1                  2 seconds ago (Wed Nov 11 16:16:09 2009)
                         States: starting, running, stopping, stopped, fail
                         (ended abnormally), fatal (could not start),
                         backoff (could not start, will try again). Coloured
                         when the output is a terminal (not with NO_COLOR).
                         For fail, fatal and backoff the reason follows the
                         date, after two spaces:
                           fatal    web1    4 seconds ago (...)  cwd /srv/app: no such directory
  status -l [svcref...]  The long form: the same line, then pid, uptime,
                         restarts (starts cfkd made on its own since the
                         service was declared), the last failure, cmd, tags,
                         proxy, and the memory and CPU of its processes.
                         --json status -l adds these to the JSON records,
                         with the crash loop's consecutive_failures,
                         next_attempt_at, attempt, max_attempts, last_exit.
                         A service waiting to be tried again says when:
                           backoff  web1                 retry in 2.4 s (attempt 3 of 8)
  restart --rolling svcref... [--batch N] [--pause S] [--timeout S]
                         Replaces N services at a time (default 1): stop,
                         start, wait until running, then the next batch. Runs
                         in cfkd (Ctrl-C stops the printing, not the roll);
                         prints its progress; exit 1 with the reason when a
                         replacement is not running within --timeout (60 s).
  reload svcref... [--timeout S]
                         Starts a new process beside the running one (both
                         accept on the shared socket), then stops the old one
                         once the new one runs; a failed new one leaves the
                         old one serving. Without a shared socket: a restart.
  rolls | roll-cancel ID|all
                         Rolls under way in cfkd; stop one.
  start | stop | restart | up | down | destroy svcref...
                         Nothing on success; 'error: MESSAGE' and exit 1 when
                         cfkd refuses, or when start/restart/up could not
                         spawn the program ('error: cannot start NAME: WHY'). up/down are quiet when already so;
                         start/stop are not. destroy forgets the services
                         once they are down.
                         start/restart/up --wait [--timeout S]: return once
                         all are running; exit 1 naming any that fails.
                         stop/down --with-dependents: what comes after them
                         (after=) stops too, first.
  wait svcref... [--state running|stopped] [--timeout S]
                         Returns when the services are in the state; exit 1
                         with the reason when one fails or time runs out.
  ready svcref...        Tells cfkd that ready=command services are ready.
  pid NAME               The pid alone, for kill -9 $(cfkctl pid NAME); prints
                         nothing and exits 1 when the service is not running.
  pids [svcref...]       'name: pid' lines.
  desc [svcref...]       name: tags="..." desc="..." proxy="..." cmd="..."
  list                   Service names.
  load FILE | load -     Sends every statement of FILE (or stdin) to cfkd,
                         skipping blank lines and comments, with \${BASE}
                         replaced by --basedir (default: the current
                         directory). Stops at the first statement cfkd
                         refuses and reports it as FILE:LINE: MESSAGE;
                         nothing after that line is sent.
  save [FILE]            The statements that recreate every declaration
                         (sockets, proxies, services, tags, every property
                         not at its default), to FILE (written aside, then
                         renamed; mode 0600: it holds the environment) or
                         stdout. cfkd -c FILE or cfkctl load FILE declares
                         the same again: what 'load' added survives a
                         restart of cfkd.
  tail [svcref...] [-n N] [-f]
                         The last N (default 10) lines the services wrote to
                         stdout/stderr, as 'name: line' ('name (stderr): line'
                         for stderr); -f keeps printing new ones until Ctrl-C.
  events [svcref...] [-n N] [-f]
                         State changes: 'TIME NAME FROM -> TO (pid N): REASON',
                         the last N (default 10); -f prints every new one
                         (after the last N, default 0) until Ctrl-C.
  proxystatus            State of proxies; proxyup P / proxydown P start or
                         stop one.
  version                cfkd's version (--version prints cfkctl's own).
  shutdown               Stops every service, then cfkd; returns once cfkd
                         has exited.

JSON
  --json prints status, desc, pids, list, proxystatus as one JSON document
  (tail, events: one JSON object per line). status gives, per service: name,
  state, pid, start_time, stop_time (epoch seconds or null), proxy,
  fail_reason, running_cmd (with -l, more: see status -l).

EXIT CODES
  0  success
  1  cfkd answered an error (the message is on stderr)
  2  usage error (unknown command, missing argument, unreadable file)
  3  cfkd cannot be reached (the message names the address tried), or did not
     answer within --timeout SECS (default 10; 0: forever; never for tail -f)
`;

/** `cfkd --man`: the full manual (`cfkd --help` is the short form). */
export const CFKD_MANUAL = `cfkd - the ControlFreak supervisor daemon

SYNOPSIS
  cfkd [--home DIR] [-a ADDR] [-l LOGCONFIG] [-c CONFIG] [-d [-t]]
       [--auth-token-file FILE] [--readonly-address ADDR] [--max-connections N]
       [--auth-timeout SECS] [--max-unauthenticated N]
       [--init] [--grace SECS] [--log-stdout] [--cgroups auto|off]

DESCRIPTION
  cfkd starts, watches and restarts services (long-running programs), as
  declared by 'service NAME PROP=VALUE' statements that arrive on its
  management socket (cfkctl load, cfkctl, or -c at start-up). It speaks the
  ControlFreak 1.0 protocol. One cfkd per home directory.

HOME (--home, default ~/.controlfreak; created 0700)
  sock         the management socket (unix, 0600), unless -a says otherwise
  lock         flock(2)ed by the running cfkd (released when it dies); holds
               its pid for the message a second cfkd on the home refuses with
  log.config   the logging config (Log4perl syntax), created if missing
  cfkd.log     the default log: cfkd's events and the services' output
  state        what cfkd runs (pid, start time, service), rewritten on every
               change, so that a cfkd started after a crash of this one finds
               the processes it left (docs/crash-survival.md)

OPTIONS
  -a, --address ADDR   unix:/path, /path, rel/path, host:port, [v6]:port; a
                       TCP address that is not loopback needs --auth-token-file
  -l, --log-config-file FILE
                       the logging config (default HOME/log.config)
  -c, --config FILE    statements to load before accepting clients; the first
                       error stops start-up with FILE:LINE: MESSAGE
  -d, --daemon         detach: new session, cwd /, stdio on /dev/null; returns
                       0 once the socket accepts connections, 1 with the reason
  -t, --trap           with -d: ignore HUP, INT, TERM (stop: cfkctl shutdown)
  --auth-token-file FILE
                       TCP consoles must send 'auth TOKEN' first
  --readonly-address ADDR
                       a second console that answers status, desc, list, pids,
                       version, proxystatus, tail, info only
  --max-connections N  most console connections at once (default 1000); with
                       a token, authenticated ones only
  --auth-timeout SECS  with a token: close a connection that has not sent the
                       right 'auth' within SECS (default 10)
  --max-unauthenticated N
                       with a token: most connections not yet authenticated; a
                       new one closes the oldest (default 64). A connection is
                       closed after 3 wrong tokens
  --init               PID-1 mode although not PID 1 (automatic as PID 1 of a
                       PID namespace, a container's entrypoint): --grace, the
                       exit-code rule, --log-stdout (docs/container.md)
  --grace SECS         PID-1 mode: a TERM/INT shutdown SIGKILLs what is left
                       after SECS (default 25)
  --log-stdout         every service line also on stdout as 'name | line'
                       ('name:err | line' for stderr); default in PID-1 mode
                       unless -l is given
  --cgroups auto|off   auto: each service in a cgroup v2 of its own where one
                       is writable (root, or delegated), so a stop ends every
                       process it forked; off: process groups and adopted
                       orphans only. The start-up log says which
  -h, --help           the short help; -m, --man this manual; --version

SIGNALS
  TERM, INT, HUP   stop every service (stop_signal, then SIGKILL after
                   stopwait_secs), then exit 0 (ignored with -d -t); in
                   PID-1 mode within --grace, then SIGKILL to what is left
  CHLD             reap the orphans cfkd adopted (it is a child subreaper)
  USR1             reload the logging config (a broken one is reported, the
                   old one kept)

EXIT CODES
  0  stopped as asked
  1  could not start (the reason is on stderr: lock held, socket in use,
     bad config, bad log config)
  2  usage error (unknown option, bad address, bad number)
  N  an essential=1 service ended: its exit code (128+signal if a signal
     ended it, 1 if it could not start)
  137  PID-1 mode: something had to be SIGKILLed during the shutdown

FILES AND MORE
  Properties of services, sockets, proxies: docs/properties.md, or
  cfkctl help properties. Logging: docs/logging.md. Running it as a system
  service: examples/cfkd.service and docs/daemon-mode.md. In a container:
  examples/Dockerfile, examples/k8s.yaml and docs/container.md.
`;

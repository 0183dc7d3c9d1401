"""The example application of docs/proxy.md: loaded once by the preloading proxy, then
forked into each worker (web1, web2: myapp.web:serve; jobs: myapp.jobs)."""
GREETING = "hello from myapp"

"""A job loop run as a module (`cmd=myapp.jobs`): does a unit of work every few seconds."""
import time

from myapp import GREETING

n = 0
while True:
    n += 1
    print(f"job {n}: {GREETING}")
    time.sleep(5)

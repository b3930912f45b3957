"""A cronwright process for the SIGKILL test: an App (scheduler, workers, alerter) running a
schedule that fires every second; prints ``ran`` after each run until it is killed."""

from __future__ import annotations

import sys
import threading
from datetime import timedelta

from cronwright import App
from cronwright.actions import StepContext


def main(url: str) -> None:
    app = App(url, poll_interval=timedelta(milliseconds=50))

    @app.action("tick")
    def tick(ctx: StepContext) -> str:
        print("ran", flush=True)
        return "ok"

    app.schedule("every second", "* * * * * *", action="tick", misfire_grace=timedelta(seconds=1))
    app.start()
    threading.Event().wait()  # until SIGKILL


if __name__ == "__main__":
    main(sys.argv[1])

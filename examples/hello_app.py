"""Hello, cronwright: a Python function on a cron schedule, durable and exactly once per slot.

python examples/hello_app.py     # Ctrl-C stops it gracefully
"""

from cronwright import App
from cronwright.actions import StepContext

app = App("sqlite:///hello.db")


@app.action("greet")
def greet(ctx: StepContext) -> dict[str, str]:
    message = f"hello, {ctx.input['name']}"
    print(f"{message} (run {ctx.run_id}, attempt {ctx.attempt})", flush=True)
    return {"message": message}


# Every 5 seconds (six fields: the first is seconds). A slot whose previous run is still going
# is skipped; failures are retried (3 attempts); running the script again changes nothing.
app.schedule(
    "greet the world", "*/5 * * * * *", action="greet", input={"name": "world"}, overlap="skip"
)

if __name__ == "__main__":
    app.run()

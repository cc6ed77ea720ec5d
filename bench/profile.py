"""Profile one page in process: ``python bench/profile.py URL PATH [--user NAME] [--times N]``.

Builds the benchmark ini's application on ``URL`` (a database made by ``generate.py``),
logs ``--user`` in through the login form, requests ``PATH`` once to warm up, then
``--times`` more under pyinstrument (``pip install pyinstrument``) and prints the call
tree, and the SQL statements of the last request (``--sql``).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> None:
    import webtest
    from pyinstrument import Profiler
    from sqlalchemy import event

    import generate
    from run import app_settings
    from xietong import main as make_app
    from xietong.testing import login

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url")
    parser.add_argument("path")
    parser.add_argument("--user", default="bench_staff")
    parser.add_argument("--times", type=int, default=20)
    parser.add_argument("--sql", action="store_true")
    args = parser.parse_args(argv)
    app = make_app({}, **app_settings(args.url))
    client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1"})
    login(client, args.user, generate.PASSWORD)
    client.get(args.path)
    statements = []
    profiler = Profiler()
    profiler.start()
    for _ in range(args.times):
        statements.clear()
        if args.sql and not statements:
            event.listen(app.registry["db.engine"], "before_cursor_execute",
                         lambda c, cur, stmt, *a: statements.append(stmt), once=False) if _ == 0 else None
        client.get(args.path)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.sql:
        print(f"{len(statements)} statements in the last request:")
        for s in statements:
            print("  ", " ".join(s.split())[:300])


if __name__ == "__main__":
    main()

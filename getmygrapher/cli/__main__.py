from getmygrapher.cli.main import app

app(prog_name="getmygrapher")

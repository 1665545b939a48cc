"""``saidao serve``: the web interface over an index (registered on ``saidao.cli.app``)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from saidao.cli_common import app, err


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只允许本机访问）"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口"),
    db: Path = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件（不存在时新建）"),
    token: str = typer.Option(None, "--token", help="访问令牌（也可用环境变量 SAIDAO_TOKEN）"),
) -> None:
    """启动网页界面：导入、待核、检索、高新区、新赛道、重复企业。"""
    import uvicorn

    from saidao.web import create_app

    if not db.parent.exists():
        err.print(f"[red]✗ 索引所在文件夹不存在：{db.parent}[/red]")
        raise typer.Exit(2)
    token = token or os.environ.get("SAIDAO_TOKEN") or None
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        err.print("[yellow]提示：监听非本机地址但未设置访问令牌（--token），局域网内任何人都能访问。[/yellow]")
    application = create_app(db, token=token)
    err.print(f"赛道网页界面：http://{host}:{port}/  （索引：{db}；Ctrl+C 停止）")
    uvicorn.run(application, host=host, port=port, log_level="warning")

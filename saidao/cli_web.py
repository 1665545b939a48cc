"""``saidao serve``: the web interface over an index (registered on ``saidao.cli.app``)."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import typer

from saidao.cli_common import app, err


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (``localhost``, 127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="监听地址（默认只允许本机访问）"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="端口"),
    db: Path = typer.Option(Path("saidao.db"), "--db", help="索引数据库文件（不存在时新建）"),
    token: str = typer.Option(None, "--token", help="访问令牌（也可用环境变量 SAIDAO_TOKEN）"),
    insecure_no_token: bool = typer.Option(
        False, "--insecure-no-token",
        help="允许在非本机地址上不设令牌监听（任何能访问该地址的人都能查看和上传，不建议）"),
) -> None:
    """启动网页界面：导入、待核、检索、高新区、新赛道、重复企业。"""
    import uvicorn

    from saidao.web import create_app

    if not db.parent.exists():
        err.print(f"[red]✗ 索引所在文件夹不存在：{db.parent}[/red]")
        raise typer.Exit(2)
    token = token or os.environ.get("SAIDAO_TOKEN") or None
    if not is_loopback(host) and not token:
        if not insecure_no_token:
            err.print(f"[red]✗ 拒绝在 {host} 上无令牌监听：网络中任何人都能查看索引和上传文件。"
                      "请用 --token 或环境变量 SAIDAO_TOKEN 设置访问令牌"
                      "（确需无令牌时加 --insecure-no-token）。[/red]")
            raise typer.Exit(2)
        err.print("[yellow]警告：监听非本机地址且未设置访问令牌（--insecure-no-token），"
                  "网络中任何人都能访问。[/yellow]")
    application = create_app(db, token=token)
    err.print(f"赛道网页界面：http://{host}:{port}/  （索引：{db}；Ctrl+C 停止）")
    uvicorn.run(application, host=host, port=port, log_level="warning")

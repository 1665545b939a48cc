"""The CLI framework's own words in Chinese: click's and typer's messages, help panels,
usage lines, argument names and type labels.

click marks its texts with stdlib ``gettext`` (``from gettext import gettext as _``), so a
catalogue would need a ``.mo`` file and a Chinese locale on every staff machine; and typer
(0.29) runs its own vendored copy of click (``typer._click``) whose texts are plain English
literals, not marked at all. So :func:`install` works at the few places the words reach a
person: click's ``_``/``ngettext`` point at :data:`MESSAGES`; typer's rich panel titles and
default/required strings are set; the usage line's prefix and metavars (``Usage:``,
``[OPTIONS]``, ``COMMAND [ARGS]...``), the help option's text, argument names (``query`` →
检索词, :data:`ARGUMENT_LABELS`) and every error message (:data:`ERROR_PATTERNS`) are
rewritten as they are produced. A text not listed stays as the library wrote it; a test runs
every command's help and usual errors and fails on English left over. Idempotent; called
once by ``saidao.cli`` before any command is built.
"""

from __future__ import annotations

import gettext
import re
import sys
from collections.abc import Callable
from typing import Any

#: click's and typer's message ids (as in their source) and what staff read instead.
MESSAGES = {
    "Usage:": "用法：",
    "Usage: ": "用法：",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Try [blue]'{command_path} {help_option}'[/] for help.":
        "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    "Error": "错误",
    "Error: {message}": "错误：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "Missing command.": "缺少子命令。",
    "No such command {name!r}.": "没有这个子命令：{name!r}。",
    "No such option {name!r}.": "没有这个选项：{name!r}。",
    "No such option: {name}": "没有这个选项：{name}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Did you mean {possibility}?": "您是不是要用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（您是不是要用其中之一：{possibilities}？）",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Arguments": "参数",
    "Options": "选项",
    "Commands": "子命令",
    "Positional arguments": "位置参数",
    "[default: {}]": "[默认：{}]",
    "default: {default}": "默认：{default}",
    "[env var: {}]": "[环境变量：{}]",
    "env var: {var}": "环境变量：{var}",
    "[required]": "[必填]",
    "required": "必填",
    "(dynamic)": "（动态）",
    "(deprecated) ": "（已弃用）",
    "deprecated": "已弃用",
    "Aborted!": "已中止！",
    "Aborted.": "已中止。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "integer": "整数",
    "float": "数",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} 不是有效的是/否值。可用：{states}",
    "{value!r} is not one of {choices}.": "{value!r} 不是可选值之一：{choices}。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} does not match the format {format}.": "{value!r} 不符合格式 {format}。",
    "{value!r} does not match the formats {formats}.": "{value!r} 不符合格式 {formats}。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 无法写入。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "path": "路径",
    "file": "文件",
    "directory": "文件夹",
    "Takes {nargs} values but 1 was given.": "需要 {nargs} 个值，只给了 1 个。",
    "Takes {nargs} values but {len} were given.": "需要 {nargs} 个值，给了 {len} 个。",
    "Do you want to continue?": "是否继续？",
    "Repeat for confirmation": "请再输入一次确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
}

#: typer's type labels in help (``<bool>``, ``<path>`` …) and what staff read instead.
TYPE_LABELS = {"bool": "开关", "str": "文本", "int": "整数", "float": "数", "path": "路径",
               "file": "文件", "directory": "文件夹", "list[str]": "文本…", "list[path]": "路径…",
               "list[int]": "整数…", "int range": "整数", "float range": "数", "datetime": "日期",
               "Path": "路径", "list[Path]": "路径…", "text": "文本"}


#: Argument names (the function parameter) as staff read them in usage lines and help.
ARGUMENT_LABELS = {"query": "检索词", "paths": "文件或文件夹…", "path": "文件", "codes": "代码…",
                   "key": "条目编号", "group_id": "组编号", "mentions": "成员…", "track_id": "赛道编号",
                   "alias": "高新区名称", "file": "文件", "what": "内容", "name": "名称",
                   "run_id": "导入编号"}
#: Usage-line placeholders.
USAGE_WORDS = (("COMMAND [ARGS]...", "子命令 [参数]..."), ("[OPTIONS]", "[选项]"),
               ("[ARGS]...", "[参数]..."))
_RANGE = r"(?:greater|less) than(?: or equal to)?"
#: Error messages of typer's vendored click and its value checks (regex → Chinese).
ERROR_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r) for p, r in (
        (r"^Invalid value for (.+?): (.*)$", r"\1 的值无效：\2"),
        (r"^Invalid value: (.*)$", r"值无效：\1"),
        (r"Input should be a valid integer, unable to parse string as an integer", "应为整数"),
        (r"Input should be a valid integer", "应为整数"),
        (r"Input should be a valid number, unable to parse string as a number", "应为数字"),
        (r"Input should be a valid number", "应为数字"),
        (r"Input should be a valid boolean.*", "应为是或否"),
        (r"Input should be greater than or equal to (\S+)", r"应不小于 \1"),
        (r"Input should be less than or equal to (\S+)", r"应不大于 \1"),
        (r"Input should be greater than (\S+)", r"应大于 \1"),
        (r"Input should be less than (\S+)", r"应小于 \1"),
        (r"Input should be (.+)", r"应为 \1"),
        (r"^Missing argument (.+?)\.?$", r"缺少参数 \1。"),
        (r"^Missing option (.+?)\.?$", r"缺少选项 \1。"),
        (r"^Missing parameter(.*)$", r"缺少参数\1"),
        (r"^No such option: (.+?)(?: \(Possible options: (.+)\))?$", r"没有这个选项：\1"),
        (r"^Option (.+?) requires an argument\.$", r"选项 \1 需要一个值。"),
        (r"^Option (.+?) requires (\d+) arguments\.$", r"选项 \1 需要 \2 个值。"),
        (r"^Option (.+?) does not take a value\.$", r"选项 \1 不带值。"),
        (r"^Got unexpected extra arguments?(?:\(s\))? \((.*)\)$", r"多余的参数（\1）"),
        (r"^No such command (.+?)\.$", r"没有这个子命令：\1。"),
        (r"\.? ?Did you mean (.+?)\?", r"。您是不是要用 \1？"),
        (r"^Missing command\.$", "缺少子命令。"),
        (r"^Could not open file (.+?): (.*)$", r"无法打开文件 \1：\2"),
        (r"(.+) is not one of (.+)\.$", r"\1 不是可选值之一：\2。"),
        (r"(.+) is not in the range (.+)\.$", r"\1 不在范围 \2 内。"),
        (r"(.+) does not exist\.$", r"\1 不存在。"),
        (r"^(?:File|Path|Directory) ", ""),
        (r"(.+) is a directory\.$", r"\1 是文件夹。"),
        (r"(.+) is a file\.$", r"\1 是文件。"),
    ))


def translate_error(message: str) -> str:
    """An error message of typer's click in Chinese, pattern by pattern."""
    for pattern, replacement in ERROR_PATTERNS:
        message = pattern.sub(replacement, message)
    return message.replace("。。", "。").replace("'。", "'。")


def translate_usage(args: str) -> str:
    for english, chinese in USAGE_WORDS:
        args = args.replace(english, chinese)
    return args


def argument_label(name: str) -> str:
    return ARGUMENT_LABELS.get(name, name)


def translate(message: str) -> str:
    """A click/typer message in Chinese (unknown ones unchanged)."""
    return MESSAGES.get(message, message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


def _modules() -> list[Any]:
    return [m for name, m in list(sys.modules.items())
            if m is not None and (name == "click" or name.startswith(("click.", "typer")))]


def _type_label(original: Callable[..., Any]) -> Callable[..., Any]:
    def display_type(self: Any, ctx: Any) -> Any:
        label = original(self, ctx)
        if isinstance(label, str) and label.startswith("<") and label.endswith(">"):
            inner = label[1:-1]
            return f"<{TYPE_LABELS.get(inner, inner)}>"
        return label

    display_type.__wrapped__ = original  # type: ignore[attr-defined]
    return display_type


def install() -> None:
    """Point click's and typer's messages at :data:`MESSAGES` (once per process)."""
    import click.core  # noqa: F401  (every click module loaded before patching)
    import click.decorators  # noqa: F401
    import click.exceptions  # noqa: F401
    import click.formatting  # noqa: F401
    import click.parser  # noqa: F401
    import click.termui  # noqa: F401
    import click.types  # noqa: F401
    import typer.core
    import typer.rich_utils as ru

    for module in _modules():
        if getattr(module, "_", None) is gettext.gettext:
            module._ = translate
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = translate_plural
    for name in ("DEFAULT_STRING", "ENVVAR_STRING", "REQUIRED_LONG_STRING", "ARGUMENTS_PANEL_TITLE",
                 "OPTIONS_PANEL_TITLE", "COMMANDS_PANEL_TITLE", "ERRORS_PANEL_TITLE", "ABORTED_TEXT",
                 "RICH_HELP", "DEPRECATED_STRING"):
        value = getattr(ru, name, None)
        if isinstance(value, str):
            english = _ENGLISH.setdefault(name, value)
            setattr(ru, name, translate(english))
    ru.OptionHighlighter.highlights = [*ru.OptionHighlighter.highlights, r"(?P<usage>用法：)"]
    _install_typer_click(typer, ru)
    param = typer.core._TyperParameter
    if not hasattr(param.display_type, "__wrapped__"):
        param.display_type = _type_label(param.display_type)  # type: ignore[method-assign]
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        own = cls.__dict__.get("display_type_rich")
        if own is not None and not hasattr(own, "__wrapped__"):
            cls.display_type_rich = _type_label(own)  # type: ignore[method-assign]


_ENGLISH: dict[str, str] = {}


def _install_typer_click(typer: Any, ru: Any) -> None:
    """typer's vendored click: usage line, help option, argument names, error messages."""
    import typer._click.formatting as formatting
    import typer.core as core

    if getattr(formatting.HelpFormatter.write_usage, "__wrapped__", None) is None:
        original_usage = formatting.HelpFormatter.write_usage

        def write_usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
            original_usage(self, prog, translate_usage(args), "用法：" if prefix is None else prefix)

        write_usage.__wrapped__ = original_usage  # type: ignore[attr-defined]
        formatting.HelpFormatter.write_usage = write_usage  # type: ignore[method-assign]

    command = typer._click.core.Command
    if getattr(command.get_help_option, "__wrapped__", None) is None:
        original_help = command.get_help_option

        def get_help_option(self: Any, ctx: Any) -> Any:
            option = original_help(self, ctx)
            if option is not None and option.help == "Show this message and exit.":
                option.help = MESSAGES["Show this message and exit."]
            return option

        get_help_option.__wrapped__ = original_help  # type: ignore[attr-defined]
        command.get_help_option = get_help_option  # type: ignore[method-assign]

    raw = core._TyperParameter.display_name_raw
    if not hasattr(raw.fget, "__wrapped__"):
        def display_name_raw(self: Any) -> str:
            return self.metavar if self.metavar is not None else argument_label(self.name)

        display_name_raw.__wrapped__ = raw.fget  # type: ignore[attr-defined]
        core._TyperParameter.display_name_raw = property(display_name_raw)  # type: ignore[method-assign]

    if getattr(ru.rich_format_error, "__wrapped__", None) is None:
        original_error = ru.rich_format_error

        def rich_format_error(self: Any) -> None:
            english = self.format_message
            self.format_message = lambda: translate_error(english())
            original_error(self)

        rich_format_error.__wrapped__ = original_error  # type: ignore[attr-defined]
        ru.rich_format_error = rich_format_error

"""The one error type every reader and importer raises for bad input.

Staff read the Chinese message; developers and logs get the English one; both
carry the file's path and a stable ``reason`` code that reports group by.
"""

from __future__ import annotations

from pathlib import Path

from saidao.names import readable

#: reason code -> (Chinese, English). Keep the codes stable: reports count by them.
REASONS: dict[str, tuple[str, str]] = {
    "empty": ("文件为空", "the file is empty"),
    "not_found": ("文件不存在", "the file does not exist"),
    "unknown_format": ("不支持的文件格式", "unsupported file format"),
    "corrupt": ("文件已损坏，无法读取", "the file is corrupt and cannot be read"),
    "encrypted": ("文件有密码保护，无法读取", "the file is password-protected"),
    "too_large": ("文件超出大小限制", "the file is larger than the limit"),
    "too_many_pages": ("页数超出限制", "the document has more pages than the limit"),
    "zip_bomb": ("压缩内容异常（疑似压缩炸弹）", "suspicious compression (possible zip bomb)"),
    "converter_missing": (
        "未安装 LibreOffice，无法转换 .doc/.wps/.rtf 文件；请安装：apt-get install libreoffice-writer",
        "LibreOffice is not installed, so .doc/.wps/.rtf cannot be converted; "
        "install it with: apt-get install libreoffice-writer",
    ),
    "conversion_failed": ("格式转换失败", "conversion to .docx failed"),
    "conversion_timeout": ("格式转换超时", "conversion to .docx timed out"),
    "ocr_failed": ("文字识别失败", "OCR failed"),
    "decode_failed": ("无法识别文本编码", "the text encoding could not be detected"),
    "unsafe_path": ("压缩包内路径不安全", "unsafe path inside the archive"),
    "timeout": ("处理超时", "processing the file took longer than the limit"),
    "worker_crashed": ("处理进程异常退出", "the worker process reading the file crashed"),
    "extract_failed": ("内容抽取出错", "extraction failed on this document"),
    "nested_archive": ("压缩包嵌套超过一层", "archive nested more than one level deep"),
    "ray_missing": (
        "未安装 Ray，无法分布式导入；请安装：pip install 'saidao[ray]'",
        "Ray is not installed, so --ray cannot run; install it with: pip install 'saidao[ray]'",
    ),
    "ray_unreachable": ("无法连接 Ray 集群", "the Ray cluster cannot be reached"),
    # not failures: a file's fate told truthfully (ingest.fate)
    "not_document": ("不是申报表或政策文件", "not a declaration or policy document"),
    "needs_ocr": (
        "待识别：含扫描页，本次未做文字识别（--no-ocr）；下次不加 --no-ocr 导入时识别",
        "waiting for OCR: scanned pages were not read (--no-ocr); the next run without it reads them",
    ),
    # a kind forced with --kind that the content contradicts (extractors.form_presence)
    "not_declaration": (
        "按申报表导入，但文件中未找到申报表的栏目，未导入",
        "forced as a declaration, but none of the declaration form's labels are in the file; "
        "not imported",
    ),
    "blank_declaration": (
        "按申报表导入，但文件中的申报表各栏均未填写（空白申报表），未导入",
        "forced as a declaration, but every box of the form in the file is empty; not imported",
    ),
    "not_policy": (
        "按政策文件导入，但文件是填写好的申报表，不是政策文件，未导入",
        "forced as a policy, but the file is a filled declaration form; not imported",
    ),
    # not a failure: a policy file kept as another form of one already imported (policy_merge)
    "same_policy": ("与已导入的政策相同，作为其来源保留",
                    "the same policy as one already imported, kept as its source"),
    # hostile and unlucky inputs (issue 17): each its own reason, never "corrupt"
    "too_complex": (
        "文件内容过于复杂（解压或渲染所需内存超出限制）",
        "the file needs more memory to decompress or render than the limit allows",
    ),
    "permission_denied": ("没有读取权限", "permission denied"),
    "unreadable_folder": ("文件夹无法列出内容（没有权限或读取出错）", "the folder cannot be listed"),
    "dangling_symlink": ("符号链接指向的文件不存在", "the symbolic link points to nothing"),
    "symlink_outside": (
        "符号链接指向导入文件夹之外，未读取（如需读取请加 --follow-symlinks）",
        "the symbolic link points outside the imported folder; not followed "
        "(use --follow-symlinks)",
    ),
    "disk_full": ("磁盘空间已满，无法写入临时文件或索引", "no space left on the device"),
    "io_error": ("读取文件时发生输入输出错误", "an input/output error occurred reading the file"),
}


class SaidaoError(Exception):
    """Bad input: a reason code, both messages, the file, and optional detail."""

    def __init__(self, reason: str, path: str | Path | None = None, detail: str = "") -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason code {reason!r}")
        self.reason = reason
        # a name in GBK bytes arrives with surrogate escapes: shown decoded, never a crash
        self.path = readable(str(path)) if path is not None else ""
        self.detail = readable(str(detail))
        super().__init__(self.message_en)

    @property
    def message_zh(self) -> str:
        zh = REASONS[self.reason][0]
        where = f"{self.path}：" if self.path else ""
        extra = f"（{self.detail}）" if self.detail else ""
        return f"{where}{zh}{extra}"

    @property
    def message_en(self) -> str:
        en = REASONS[self.reason][1]
        where = f"{self.path}: " if self.path else ""
        extra = f" ({self.detail})" if self.detail else ""
        return f"{where}{en}{extra}"

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "reason": self.reason,
            "message": self.message_zh,
            "message_en": self.message_en,
        }

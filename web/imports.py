"""导入: uploads streamed into the data folder, imported in a background thread.

Uploaded bytes are written only under ``<data folder>/uploads`` with generated
names, counted while they stream (the size cap holds whatever the headers
claim) and type-checked by content before anything is imported. Each upload
batch is one run of the real pipeline (``saidao.ingest.bulk.ingest``) with the
default reader settings (OCR on); runs started from the command line show up
here too, since every run is in ``import_runs`` / ``import_log``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from saidao.errors import REASONS
from saidao.index import report
from saidao.index.export import REPORT_COLUMNS
from saidao.ingest.bulk import FileOutcome, Options, ingest
from saidao.ingest.detect import FORMATS, pages_to_read, sniff
from saidao.names import readable
from saidao.web.common import (
    OUTCOME_ZH,
    Settings,
    by_number,
    index_of,
    render,
    route,
    xlsx_link,
)
from saidao.web.security import csrf_ok
from saidao.web.xlsx import wants_xlsx, xlsx_response

#: Formats the pipeline reads (``ingest.detect.FORMATS``), zip archives included.
ACCEPTED = set(FORMATS)
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
MAX_FIELD_BYTES = 4096
MAX_FILES = 500


class UploadRefused(Exception):
    """An upload that is not stored (message in Chinese, HTTP status)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# ---------------------------------------------------------------- jobs


@dataclass
class Job:
    """One background import: its files, live progress and, at the end, its run."""

    job_id: str
    files: list[dict[str, str]]  # {"stored": path, "name": the name the user gave}
    by: str
    state: str = "queued"  # queued | running | done | error
    total: int = 0
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    run_id: int | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)

    def grow(self, n: int) -> None:
        self.total += n

    pages: dict[str, int] = field(default_factory=dict)  # stored path -> pages (estimated)
    #: file -> pages read so far, from the readers' page events and files finished
    read: dict[str, int] = field(default_factory=dict)
    #: file -> its pages as the reader counted them (replaces the upload's estimate)
    counted: dict[str, int] = field(default_factory=dict)

    @property
    def pages_done(self) -> int:
        return sum(dict(self.read).values())

    @property
    def pages_total(self) -> int:
        """The pages the readers counted, plus the estimate of files not begun; an archive's
        estimate (one) gives way to its members once they are met."""
        counted = dict(self.counted)  # a snapshot: the import thread adds to it meanwhile
        waiting = sum(n for path, n in self.pages.items() if path not in counted
                      and not any(m.startswith(f"{path}!") for m in counted))
        return sum(counted.values()) + waiting

    def page(self, display: str, done: int, total: int) -> None:
        """A reader finished page ``done`` of ``total`` of ``display`` (``Progress.page``)."""
        self.counted[display] = max(total, done)
        self.read[display] = max(self.read.get(display, 0), done)

    def done(self, outcome: FileOutcome) -> None:
        pages = self.counted.get(outcome.path) or outcome.pages or self.pages.get(outcome.path) or 1
        self.counted[outcome.path] = pages
        self.read[outcome.path] = pages
        self.outcomes.append({
            "path": outcome.path, "outcome": outcome.outcome,
            "outcome_zh": OUTCOME_ZH.get(outcome.outcome, outcome.outcome),
            "kind": outcome.kind, "reason": outcome.reason,
            "message": staff_reason(outcome.reason, outcome.detail, outcome.message),
            "pages": outcome.pages, "ocr_pages": outcome.ocr_pages,
        })

    def eta(self) -> str | None:
        """Time left at the rate pages have been read so far (a scan's pages cost far more
        than a Word file's; page events move it during a long scan): None until a page is read."""
        total = self.pages_total or self.total
        done = self.pages_done if total == self.pages_total else len(self.outcomes)
        if not done or self.state != "running" or done >= total:
            return None
        left = (time.time() - self.started) / done * (total - done)
        return f"约 {round(left / 60)} 分钟" if left >= 90 else f"约 {max(5, round(left / 5) * 5)} 秒"

    def to_dict(self, names: dict[str, str]) -> dict[str, Any]:
        return {
            "job_id": self.job_id, "state": self.state, "total": self.total,
            "done": len(self.outcomes), "run_id": self.run_id, "error": self.error,
            "failed": sum(o["outcome"] == "failed" for o in self.outcomes),
            "pages_total": self.pages_total, "pages_done": self.pages_done,
            "eta": self.eta(),
            "outcomes": [{**o, "path": display_path(o["path"], names)} for o in self.outcomes],
        }


def staff_reason(reason: str | None, detail: str | None, message: str | None) -> str:
    """A failure's reason as staff read it: the Chinese of its reason code, with a detail
    only when it is itself Chinese or a file extension (never a server path, never an
    English library message)."""
    if not reason and not message:
        return ""
    if reason == "same_policy":  # a file's fate, not a failure: the whole sentence, no path in it
        return message or REASONS[reason][0]
    tail = re.search(r"（([^（）]*)）$", message or "")
    if detail is None and tail:  # the import log keeps the detail inside the message
        detail = tail.group(1)
    text = REASONS[reason][0] if reason in REASONS else re.sub(
        r"（[^（）]*）$", "", (message or "").rpartition("：")[2])
    detail = (detail or "").strip()
    if detail and (re.fullmatch(r"\.\w{1,8}", detail) or (
            re.search(r"[\u4e00-\u9fff]", detail) and "/" not in detail)):
        text += f"（{detail}）"
    return text


class Jobs:
    """Background imports, one at a time (they share one index and the CPU)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs: dict[str, Job] = {}
        self._turn = threading.Lock()

    def start(self, files: list[dict[str, str]], by: str) -> Job:
        job = Job(secrets.token_hex(8), files, by)
        # keyed as the run names files (``ingest.bulk.sources``), so page events meet them
        job.pages = {readable(str(Path(f["stored"]).absolute())): pages_to_read(Path(f["stored"]))
                     for f in files}
        self.jobs[job.job_id] = job
        threading.Thread(target=self._run, args=(job,), name=f"import-{job.job_id}",
                         daemon=True).start()
        return job

    def busy_files(self) -> set[str]:
        """Stored paths of imports not finished yet (never removed to make room)."""
        return {f["stored"] for j in list(self.jobs.values()) if j.state in ("queued", "running")
                for f in j.files}

    def _run(self, job: Job) -> None:
        with self._turn:
            job.state = "running"
            job.started = time.time()  # the rate counts from here, not from waiting in the queue
            try:
                options = Options(workers=self.settings.workers)  # default settings: OCR on
                summary = ingest([f["stored"] for f in job.files], self.settings.db_path, options,
                                 progress=job, args=[f"网页上传（{job.by}）"]
                                 + [f["name"] for f in job.files])
                job.run_id = summary.run_id
                job.state = "done"
            except Exception as exc:  # the run must end visibly, never silently
                job.error = f"{type(exc).__name__}: {exc}"[:500]
                job.state = "error"


# ---------------------------------------------------------------- upload storage


def upload_dir(settings: Settings) -> Path:
    assert settings.data_dir is not None
    path = settings.data_dir / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def make_room(settings: Settings, incoming: int, busy: set[str]) -> bool:
    """Uploads kept within their quota: those older than ``keep_upload_days`` removed, then
    the oldest until ``incoming`` more bytes fit in ``max_store_bytes``. Files of imports
    still running (``busy``) are never removed; False when even then there is no room."""
    folder = upload_dir(settings)
    now = time.time()
    kept: list[tuple[float, int, Path]] = []
    for path in folder.iterdir():
        if path.name == names_file(settings).name or not path.is_file():
            continue
        stat = path.stat()
        if str(path) not in busy and now - stat.st_mtime > settings.keep_upload_days * 86400:
            path.unlink(missing_ok=True)
        else:
            kept.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in kept)
    for _, size, path in sorted(kept):
        if total + incoming <= settings.max_store_bytes:
            break
        if str(path) not in busy:
            path.unlink(missing_ok=True)
            total -= size
    return total + incoming <= settings.max_store_bytes


def names_file(settings: Settings) -> Path:
    return upload_dir(settings) / "names.json"


_names_lock = threading.Lock()


def load_names(settings: Settings) -> dict[str, str]:
    """Stored path -> the name the user gave (for showing, never for writing)."""
    try:
        return json.loads(names_file(settings).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def _remember_names(settings: Settings, files: list[dict[str, str]]) -> None:
    with _names_lock:
        names = load_names(settings)
        names.update({f["stored"]: f["name"] for f in files})
        names_file(settings).write_text(json.dumps(names, ensure_ascii=False), "utf-8")


def display_path(path: str | None, names: dict[str, str]) -> str:
    """A stored upload's path shown as the user's file name (archive members too)."""
    if not path:
        return ""
    head, sep, tail = path.partition("!")
    if head in names:
        return names[head] + sep + tail
    return path


_BAD_PART = re.compile(r"[\x00-\x1f\\:]|^\.\.?$|^\s*$")


def check_name(name: str) -> str:
    """The user's file name (a folder upload's ``文件夹/子文件夹/文件.docx`` too), refused
    when it climbs out (``..``), starts at a root or holds control characters. Only
    shown, never used to write: stored copies get generated names."""
    parts = name.split("/")
    if name.startswith("/") or any(_BAD_PART.search(p) for p in parts) or ".." in parts:
        raise UploadRefused(f"文件名不能包含路径：{name[:80]}")
    return name[:200]


class _Upload:
    """A streaming multipart parser writing each file part to a generated name."""

    def __init__(self, settings: Settings, request: Request) -> None:
        self.folder = upload_dir(settings)
        self.cap = settings.max_upload_bytes
        self.request = request
        self.fields: dict[str, str] = {}
        self.files: list[dict[str, str]] = []
        self.received = 0
        self._headers: dict[str, bytes] = {}
        self._field = b""
        self._value = b""
        self._name: str | None = None
        self._handle: Any = None
        self._path: Path | None = None
        self._error: UploadRefused | None = None

    # python-multipart callbacks ------------------------------------------------
    def on_part_begin(self) -> None:
        self._headers, self._value, self._name = {}, b"", None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        key = self._field.decode("latin-1").lower()
        self._headers[key] = self._headers.get(key, b"") + data[start:end]

    def on_header_end(self) -> None:
        self._field = b""

    def on_headers_finished(self) -> None:
        # bytes in, bytes out: a UTF-8 file name survives (str input must be Latin-1)
        _, params = parse_options_header(self._headers.get("content-disposition", b""))
        self._name = (params.get(b"name") or b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        if filename is None or not filename.strip():
            return  # a file input left empty: no file part
        if not csrf_ok(self.request, self.fields.get("csrf")):
            raise UploadRefused("表单已失效（CSRF 校验失败），请刷新页面后重试", 403)
        name = check_name(filename.decode("utf-8", "replace"))
        if not name:
            return
        if len(self.files) >= MAX_FILES:
            raise UploadRefused(f"一次最多上传 {MAX_FILES} 个文件")
        self._path = self.folder / f"{time.strftime('%Y%m%d')}-{secrets.token_hex(8)}.part"
        self._handle = open(self._path, "wb")  # noqa: SIM115 - closed in on_part_end
        self.files.append({"stored": str(self._path), "name": name})

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._handle is not None:
            self._handle.write(data[start:end])
        else:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise UploadRefused("表单字段过长")

    def on_part_end(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        elif self._name:
            self.fields[self._name] = self._value.decode("utf-8", "replace")

    # the request ------------------------------------------------------------------
    async def receive(self) -> None:
        content_type, params = parse_options_header(self.request.headers.get("content-type", ""))
        if content_type != b"multipart/form-data" or b"boundary" not in params:
            raise UploadRefused("请用上传表单提交文件")
        declared = self.request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.cap:
            raise UploadRefused(_too_large(self.cap), 413)
        callbacks = {name: getattr(self, name) for name in (
            "on_part_begin", "on_header_field", "on_header_value", "on_header_end",
            "on_headers_finished", "on_part_data", "on_part_end")}
        parser = MultipartParser(params[b"boundary"], callbacks)  # type: ignore[arg-type]
        try:
            async for chunk in self.request.stream():
                self.received += len(chunk)
                if self.received > self.cap:
                    raise UploadRefused(_too_large(self.cap), 413)
                parser.write(chunk)
            parser.finalize()
        except MultipartParseError as exc:  # a 3,000-character name overflows a part header
            raise UploadRefused("上传内容格式有误（文件名过长或表单损坏），请改短文件名后重试") from exc

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
        for f in self.files:
            Path(f["stored"]).unlink(missing_ok=True)

    def typed(self) -> list[dict[str, str]]:
        """Every stored file renamed to its format's extension, judged by content. A file
        the pipeline cannot read (empty, an unknown format) keeps the user's extension and
        goes through all the same: the import reports it alone (文件为空, 不支持的文件格式)
        while the rest of the selection imports."""
        out = []
        for f in self.files:
            path = Path(f["stored"])
            kind = sniff(path) if path.stat().st_size else None
            if kind in ACCEPTED:
                suffix = _suffix(str(kind), f["name"])
            else:
                given = Path(f["name"]).suffix.lower()
                suffix = given if re.fullmatch(r"\.[a-z0-9]{1,8}", given) else ".bin"
            final = path.with_suffix(suffix)
            path.rename(final)
            out.append({"stored": str(final), "name": f["name"]})
        return out


def _suffix(kind: str, name: str) -> str:
    """The stored copy's extension: from the content, the user's one only where it refines it."""
    given = Path(name).suffix.lower()
    if kind == "image":
        return given if given in IMAGE_SUFFIXES else ".png"
    if kind == "zip" and given == ".docx":  # a damaged Word file: let the reader say so
        return ".docx"
    return f".{kind}"


def _too_large(cap: int) -> str:
    return f"上传内容超过上限（{cap // (1024 * 1024)} MB）"


# ---------------------------------------------------------------- pages


def import_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    jobs: Jobs = request.app.state.jobs
    names = load_names(request.app.state.settings)
    active = [j.to_dict(names) for j in jobs.jobs.values() if j.state in ("queued", "running")]
    return render(request, "import.html", status_code=status, error=error, active=active,
                  runs=report.latest_runs(index_of(request), 30),
                  cap_mb=request.app.state.settings.max_upload_bytes // (1024 * 1024))


def import_get(request: Request) -> Response:
    return import_page(request)


async def import_post(request: Request) -> Response:
    """Store the upload, start the import, show its progress."""
    from starlette.concurrency import run_in_threadpool

    settings: Settings = request.app.state.settings
    busy = request.app.state.jobs.busy_files()
    if not await run_in_threadpool(make_room, settings, settings.max_upload_bytes, busy):
        return await run_in_threadpool(
            import_page, request, "上传存储空间已满（正在导入的文件占满了配额），请稍后再试", 507)
    upload = _Upload(settings, request)
    try:
        await upload.receive()
        if not csrf_ok(request, upload.fields.get("csrf")):
            raise UploadRefused("表单已失效（CSRF 校验失败），请刷新页面后重试", 403)
        if not upload.files:
            raise UploadRefused("请选择要上传的文件")
        files = upload.typed()
    except UploadRefused as e:
        upload.discard()
        return await run_in_threadpool(import_page, request, e.message, e.status)
    except Exception:
        upload.discard()
        raise
    _remember_names(settings, files)
    by = (upload.fields.get("user") or "").strip()[:40] or "网页用户"
    job = request.app.state.jobs.start(files, by)
    return RedirectResponse(f"/import/job/{job.job_id}", status_code=303)


def _job(request: Request) -> Job:
    job = request.app.state.jobs.jobs.get(request.path_params["job_id"])
    if job is None:
        raise HTTPException(404, "导入任务不存在（服务重启后任务记录不保留，请查看导入记录）")
    return job


def job_page(request: Request) -> Response:
    job = _job(request)
    if job.state == "done" and job.run_id is not None:
        return RedirectResponse(f"/import/run/{job.run_id}?job={job.job_id}", status_code=303)
    data = job.to_dict(load_names(request.app.state.settings))
    return render(request, "job.html", job=data)


def job_json(request: Request) -> Response:
    return JSONResponse(_job(request).to_dict(load_names(request.app.state.settings)))


def run_page(request: Request) -> Response:
    """Every file of one run (web or command line) with its outcome and reason."""
    index = index_of(request)
    run_id, run = by_number(request, "run_id", lambda n: report.run(index, n), "导入记录不存在")
    names = load_names(request.app.state.settings)
    rows = index.report(run_id)
    for row in rows:
        row["path"] = display_path(row["path"], names)
        row["origin"] = display_path(row["origin"], names)
        row["outcome_zh"] = OUTCOME_ZH.get(row["outcome"], row["outcome"])
        row["message"] = staff_reason(row["reason"], None, row["message"])
    if wants_xlsx(request):
        out = [{**r, "outcome": r["outcome_zh"]} for r in rows]
        return xlsx_response(f"导入报告{run_id}.xlsx", "导入报告", REPORT_COLUMNS, out)
    return render(request, "run.html", run=run, rows=rows, xlsx=xlsx_link(request))


ROUTES = [
    route("/import", import_get),
    route("/import", import_post, ["POST"]),
    route("/import/job/{job_id}.json", job_json),
    route("/import/job/{job_id}", job_page),
    route("/import/run/{run_id}", run_page),
]

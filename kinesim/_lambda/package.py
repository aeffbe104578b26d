"""Lambda functions from a .zip deployment package, loaded in-process.

A :class:`DeploymentPackage` holds the zip's files in memory. :meth:`DeploymentPackage.handler`
gives the callable for an AWS handler string (``"module.function"``, ``"pkg.module.function"``
or ``"dir/module.function"``): on its first call it imports the handler's module from the zip,
as the Python runtime does at init, and the failures the runtime reports become
``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``, ... function errors.

Each function imports its package privately: its modules live in the function's own table, not in
``sys.modules``, and the zip's root is on the import path of that function's code only. The
package's modules get a ``__builtins__`` whose ``__import__`` looks in the zip first (as the
runtime's ``/var/task`` comes first on ``sys.path``), then imports normally (the standard library
and installed packages). So two functions whose zips both have ``app.py`` never see each other's
``app``, and nothing leaks into the test process's ``sys.modules``.

Limits: Python runtimes only; native extension modules (``.so``, ``.pyd``) in the zip cannot be
loaded (importing one is an ``ImportError`` saying so); ``importlib.import_module`` inside the
package looks only at the process's own path; module code runs once per function (per code
version), not once per execution environment.
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import importlib.machinery
import io
import sys
import traceback
import types
import zipfile
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    AWSError,
    InvalidParameterValueException,
    KinesimTypeError,
    KinesimValueError,
    ValidationException,
)
from kinesim._lambda.runtime import RuntimeFault

if TYPE_CHECKING:
    from kinesim._destinations.s3 import S3Service

__all__ = ["RUNTIMES", "DeploymentPackage", "PackageHandler", "check_runtime", "read_s3_package"]

#: The zip file is unreadable (AWS's CreateFunction text).
_UNZIP_ERROR = "Could not unzip uploaded file. Please check your file, then try to upload again."
_NATIVE_SUFFIXES = (*importlib.machinery.EXTENSION_SUFFIXES, ".so", ".pyd")


#: Lambda's Runtime enum, in botocore's model order (tests/lambda_ compares it with botocore's).
RUNTIMES = (
    "nodejs", "nodejs4.3", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x",
    "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x", "java8", "java8.al2",
    "java11", "java17", "java21", "java25", "python2.7", "python3.6", "python3.7", "python3.8",
    "python3.9", "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
    "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8",
    "dotnet10", "nodejs4.3-edge", "go1.x", "ruby2.5", "ruby2.7", "ruby3.2", "ruby3.3", "ruby3.4",
    "ruby4.0", "provided", "provided.al2", "provided.al2023", "nodejs26.x", "python3.15",
    "java8.al2023", "java11.al2023", "java17.al2023", "custom",
)  # fmt: skip
#: Python runtimes AWS refuses for new functions (recorded CreateFunction refusals for 2.7, 3.6
#: and 3.7); the later deprecated ones are accepted (assumed: their block dates vary).
BLOCKED_RUNTIMES = ("python2.7", "python3.6", "python3.7")
#: The runtime AWS's refusal recommends (as recorded in 2024).
RECOMMENDED_RUNTIME = "python3.12"


def check_runtime(runtime: object) -> str:
    """``runtime`` if kinesim can run a deployment package for it, else AWS's error (or, for a
    runtime AWS has but kinesim does not run, a :class:`KinesimValueError`)."""
    if not isinstance(runtime, str):
        raise KinesimTypeError(f"runtime takes a str such as 'python3.12', got {runtime!r}")
    if runtime not in RUNTIMES:
        raise ValidationException(
            f"1 validation error detected: Value '{runtime}' at 'runtime' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(RUNTIMES)}]"
        )
    if runtime in BLOCKED_RUNTIMES:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating "
            f"AWS Lambda functions. We recommend you use the new runtime ({RECOMMENDED_RUNTIME}) "
            "while creating or updating functions."
        )
    if not runtime.startswith("python3."):
        raise KinesimValueError(
            f"kinesim runs Python deployment packages only, not runtime {runtime!r}: use a "
            "python3.x runtime (or pass a Python callable as handler=)"
        )
    return runtime


def read_s3_package(s3: S3Service, bucket: str, key: str) -> bytes:
    """The deployment package stored in the simulator's S3 (``Code={"S3Bucket", "S3Key"}``);
    a missing bucket or key is AWS's ``InvalidParameterValueException``."""
    try:
        return s3.bucket(bucket).get_object(key).body
    except AWSError as exc:
        raise InvalidParameterValueException(
            f"Error occurred while GetObject. S3 Error Code: {exc.code}. S3 Error Message: "
            f"{exc.message}"
        ) from None


class DeploymentPackage:
    """The files of a .zip deployment package (read once, kept in memory)."""

    def __init__(self, zip_bytes: bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
                files = {
                    info.filename: archive.read(info)
                    for info in archive.infolist()
                    if not info.is_dir()
                }
        except (zipfile.BadZipFile, ValueError, EOFError) as exc:
            raise InvalidParameterValueException(_UNZIP_ERROR) from exc
        self.files: Mapping[str, bytes] = files
        #: FunctionConfiguration's CodeSize and CodeSha256 (base64 of the zip's SHA-256).
        self.size = len(zip_bytes)
        self.sha256 = base64.b64encode(hashlib.sha256(zip_bytes).digest()).decode()
        # Every folder in the zip, so that a folder without __init__.py imports as a
        # namespace package, as it would from /var/task.
        folders: set[str] = set()
        for path in files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                folders.add("/".join(parts[:i]))
        self._folders = frozenset(folders)

    def __repr__(self) -> str:
        return f"<DeploymentPackage {len(self.files)} files, {self.size} bytes>"

    def handler(self, handler: str, function_name: str) -> PackageHandler:
        """The callable for AWS handler string ``handler``; it loads on its first call."""
        return PackageHandler(self, handler, function_name)

    def find(self, name: str) -> tuple[str, bool] | None:
        """``(path in the zip, is a package)`` of module ``name``: ``a/b.py``, ``a/b/__init__.py``,
        or ``("a/b", True)`` for a folder without ``__init__.py`` (a namespace package)."""
        base = name.replace(".", "/")
        if f"{base}/__init__.py" in self.files:
            return f"{base}/__init__.py", True
        if f"{base}.py" in self.files:
            return f"{base}.py", False
        if base in self._folders:
            return base, True
        return None

    def has_native(self, name: str) -> bool:
        base = name.replace(".", "/")
        return any(
            path.startswith(base) and path.endswith(_NATIVE_SUFFIXES)
            for path in self.files
            if path.rpartition("/")[0] == base.rpartition("/")[0]
        )

    def covers(self, top_level: str) -> bool:
        """Whether the zip provides top-level module or package ``top_level``."""
        return self.find(top_level) is not None or self.has_native(top_level)


class _Importer:
    """One function's private import system over its package."""

    def __init__(self, package: DeploymentPackage, origin: str) -> None:
        self._package = package
        self._origin = origin  # shown in module __file__ and tracebacks
        self.modules: dict[str, types.ModuleType] = {}
        self._builtins = {**vars(builtins), "__import__": self._import}

    def _import(
        self,
        name: str,
        globals: Mapping[str, Any] | None = None,
        locals: Mapping[str, Any] | None = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        absolute = name
        if level > 0:
            package = (globals or {}).get("__package__") or ""
            parts = package.split(".") if package else []
            if level - 1 > len(parts) or not package:
                raise ImportError("attempted relative import with no known parent package")
            base = ".".join(parts[: len(parts) - (level - 1)])
            absolute = f"{base}.{name}" if name else base
        top = absolute.partition(".")[0]
        if not self._package.covers(top):
            # Not in the zip: the standard library or an installed package.
            return builtins.__import__(name, globals, locals, fromlist or (), level)
        module = self.load(absolute)
        if fromlist:
            for item in fromlist:
                if item != "*" and not hasattr(module, item) and hasattr(module, "__path__"):
                    child = f"{absolute}.{item}"
                    if self._package.find(child) is not None:
                        self.load(child)
            return module
        if level > 0:
            return module
        return self.modules[top]

    def load(self, name: str) -> types.ModuleType:
        """Module ``name`` from the package (its parents first), imported once."""
        loaded = self.modules.get(name)
        if loaded is not None:
            return loaded
        parent_name, _, leaf = name.rpartition(".")
        parent = self.load(parent_name) if parent_name else None
        found = self._package.find(name)
        if found is None:
            if self._package.has_native(name):
                raise ImportError(
                    f"kinesim cannot load native extension module '{name}' from a deployment "
                    "package: only Python source is supported"
                )
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        path, is_package = found
        module = types.ModuleType(name)
        origin = f"{self._origin}/{path}"
        spec = importlib.machinery.ModuleSpec(name, None, origin=origin, is_package=is_package)
        module.__spec__ = spec
        module.__file__ = origin
        module.__builtins__ = self._builtins  # type: ignore[attr-defined]
        if is_package:
            module.__path__ = [f"{self._origin}/{name.replace('.', '/')}"]
            module.__package__ = name
        else:
            module.__package__ = parent_name
        self.modules[name] = module
        try:
            if path.endswith(".py"):
                source = self._package.files[path]
                code = compile(source, origin, "exec", dont_inherit=True)
                exec(code, module.__dict__)
        except BaseException:
            del self.modules[name]
            raise
        if parent is not None:
            setattr(parent, leaf, module)
        return module


class PackageHandler:
    """A function's handler from its deployment package: imports the handler's module on the
    first call (the runtime's init), then calls the handler function."""

    def __init__(self, package: DeploymentPackage, handler: str, function_name: str) -> None:
        self.package = package
        self.handler = handler
        self._origin = f"/var/task<{function_name}>"
        self._function: Callable[[Any, Any], Any] | None = None

    def __repr__(self) -> str:
        return f"<PackageHandler {self.handler!r}>"

    def __call__(self, event: Any, context: Any) -> Any:
        function = self._function
        if function is None:
            function = self._function = self._load()
        return function(event, context)

    def _load(self) -> Callable[[Any, Any], Any]:
        """What the Python runtime's ``_get_handler`` does, with its fault types and texts."""
        handler = self.handler
        if "." not in handler:
            raise RuntimeFault(
                "Runtime.MalformedHandlerName",
                f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
            )
        modname, fname = handler.rsplit(".", 1)
        if modname.split(".")[0] in sys.builtin_module_names:
            raise RuntimeFault(
                "Runtime.BuiltInModuleConflict",
                f"Cannot use built-in module {modname} as a handler module",
            )
        importer = _Importer(self.package, self._origin)
        try:
            module = importer.load(modname.replace("/", "."))
        except ImportError as exc:
            raise RuntimeFault(
                "Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}"
            ) from None
        except SyntaxError as exc:
            trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
            raise RuntimeFault(
                "Runtime.UserCodeSyntaxError",
                f"Syntax error in module '{modname}': {exc}",
                trace,
            ) from None
        except Exception as exc:
            frames = traceback.extract_tb(exc.__traceback__)[2:]  # drop kinesim's own frames
            raise RuntimeFault(
                type(exc).__name__, str(exc), traceback.format_list(frames)
            ) from None
        function = getattr(module, fname, None)
        if function is None:
            raise RuntimeFault(
                "Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'"
            )
        return function  # type: ignore[no-any-return]

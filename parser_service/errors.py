"""Every error parser-service raises on purpose.

    ParserServiceError                 base; ``retryable`` tells a worker whether to try again
    ├── InputError                     the document itself is the problem (never retried)
    │   ├── FileNotFound
    │   ├── EmptyFileError
    │   ├── UnsupportedFormatError     not a PDF, spreadsheet, CSV or text file
    │   ├── CorruptFileError           truncated or damaged PDF/XLSX
    │   ├── EncryptedFileError         password-protected PDF
    │   ├── NoTextLayerError           scanned PDF: no text, and no OCR here
    │   ├── EncodingError              text whose encoding cannot be detected
    │   ├── UnsuitableDocumentError    a kind of document the chosen domain does not read
    │   └── NoRecordsError             tables with rows, of which the plugin made no record
    ├── PluginError
    │   ├── UnknownDomainError         ``--domain`` names nothing installed (``UnknownPluginError``: its old name)
    │   ├── PluginConflictError        two plugins register the same name
    │   └── DomainFileError            a declarative domain's ``domain.toml`` names a wrong value
    ├── ConfigError                    a setting is wrong (model path, backend name)
    │   └── PluginUnavailableError     ``retryable``: an installed plugin failed to load
    └── BackendError                   the model backend failed
        ├── ModelLoadError
        └── GenerationError            ``retryable``: a timeout or a lost server

Each message says what happened and, where there is one, how to fix it.
"""

from __future__ import annotations


class ParserServiceError(Exception):
    """Base class. ``retryable`` is True when the same call may succeed later."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class InputError(ParserServiceError):
    """The document cannot be read. ``filename`` names it in the message."""

    def __init__(self, filename: str, problem: str) -> None:
        self.filename = filename
        self.problem = problem
        super().__init__(f"{filename}: {problem}")


class FileNotFound(InputError):
    pass


class EmptyFileError(InputError):
    pass


class UnsupportedFormatError(InputError):
    pass


class CorruptFileError(InputError):
    pass


class EncryptedFileError(InputError):
    pass


class NoTextLayerError(InputError):
    pass


class EncodingError(InputError):
    pass


class FileTooLargeError(InputError):
    pass


class UnsuitableDocumentError(InputError):
    """The plugin declares the kinds of document it reads (``Domain.media_types``), and
    this file, as parsed, is none of them."""


class NoRecordsError(InputError):
    """The document's tables have rows, and the plugin's splitter made no record of any:
    a silent empty result would pass for a document with nothing in it."""


class PluginError(ParserServiceError):
    pass


class UnknownDomainError(PluginError):
    """A domain name that no installed plugin provides."""

    def __init__(self, name: str, available: list[str]) -> None:
        self.name = name
        listing = ", ".join(sorted(available)) or "none"
        super().__init__(f"unknown domain {name!r}; installed domains: {listing}")


#: Deprecated: the old name of ``UnknownDomainError``, kept so that plugin code catching it still works.
UnknownPluginError = UnknownDomainError


class PluginConflictError(PluginError):
    pass


class DomainFileError(PluginError):
    """A ``domain.toml`` that cannot be loaded: the file, and the key at fault (None: the
    file as a whole), are named. ``name``: the domain it describes, as far as it tells."""

    def __init__(self, path: str, key: str | None, problem: str, name: str) -> None:
        self.path, self.key, self.problem, self.name = path, key, problem, name
        super().__init__(f"{path}: {key}: {problem}" if key else f"{path}: {problem}")


class ConfigError(ParserServiceError):
    pass


class PluginUnavailableError(ConfigError):
    """An installed plugin that failed to load (a fault of the deployment, not of the
    document): a job that needs it waits, retried, until the plugin is fixed."""

    retryable = True


class BackendError(ParserServiceError):
    pass


class ModelLoadError(BackendError):
    pass


class GenerationError(BackendError):
    pass

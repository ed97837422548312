"""Station photos: editors upload and delete, anyone reads.

An upload (``multipart/form-data``, one part named ``file``) is never stored as sent: it is
decoded and re-encoded as a clean JPEG and a thumbnail (stations/editing/photos.py), on a small
pool of threads of its own so that a burst of uploads holds a bounded amount of memory and never
takes the threads token checks and edits use. Stored photos never change, so their answers are
cacheable for a year, with the image's SHA-256 as the ETag. A deleted photo answers 404; its row
stays in the store with who deleted it and when.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from http import HTTPStatus
from typing import Annotated, Any, Final

import anyio
import orjson
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from api.auth import StoreDep, TokenDep
from api.conditional import if_none_match_hits
from api.instants import utc_text
from api.middleware.limits import MAX_PHOTO_UPLOAD_BYTES
from api.problems import ProblemError
from api.schemas import problem_responses
from stations.editing import edits as editing
from stations.editing.photos import MAX_PHOTO_BYTES, MAX_SIDE_PX, THUMB_SIDE_PX, process_photo
from stations.editing.tokens import Token
from stations.errors import InvalidInput, PhotoNotFound, Problem, StationNotFound
from stations.model import Station, StationId
from stations.store.base import StationStore
from stations.store.photos import Photo, Size

#: A request body may hold the largest photo we take plus the multipart framing around it.
MAX_UPLOAD_BYTES: Final = MAX_PHOTO_UPLOAD_BYTES
#: Photos decoded at once (each may hold a few hundred MB while decoding); more wait a turn.
PHOTO_THREADS: Final = 2
#: One pool per event loop, made on first use (a limiter belongs to the loop it is used in).
_photo_pool: RunVar[anyio.CapacityLimiter] = RunVar("yizhan_photo_pool")

IMMUTABLE: Final = "public, max-age=31536000, immutable"
JPEG: Final = "image/jpeg"
_PHOTO_ID: Final = re.compile(r"ph-[0-9a-f]{12}")
_HOW: Final = "send the photo as a file part named file, e.g. curl -F file=@photo.jpg"

router = APIRouter(prefix="/v1", tags=["photos"])


# -- what the routes answer (OpenAPI) -----------------------------------------------------------


class PhotoLinks(BaseModel):
    model_config = ConfigDict(extra="forbid")

    image: str = Field(description=f"The photo: a JPEG, longest side at most {MAX_SIDE_PX} px")
    thumbnail: str = Field(description=f"A JPEG, longest side at most {THUMB_SIDE_PX} px")


class PhotoPublic(BaseModel):
    """A station photo as anyone sees it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    station_id: str
    uploaded_at: str = Field(description="When it was uploaded (UTC)")
    taken_at: str | None = Field(
        description="When it was taken, from the file's EXIF (UTC); null: not recorded"
    )
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    links: PhotoLinks


class PhotoRecord(PhotoPublic):
    """A station photo as an editor sees it: with who uploaded it and who deleted it."""

    uploaded_by: str = Field(description="The name of the token that uploaded it")
    deleted_by: str | None = Field(description="The name of the token that deleted it")
    deleted_at: str | None = Field(description="When it was deleted (UTC); null: not deleted")


class StationPhotos(BaseModel):
    model_config = ConfigDict(extra="forbid")

    station_id: str
    photos: list[PhotoPublic] = Field(description="Newest first; deleted photos are left out")


#: The request body, described by hand: the route reads the form itself (as imports.py does).
PHOTO_BODY: Final = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "additionalProperties": False,
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "A JPEG, PNG or WebP photo of at most 10 MB (10,485,760 "
                        "bytes) and 40 megapixels, sent as image/jpeg, image/png, image/webp or "
                        "application/octet-stream. It is stored re-encoded as a JPEG of at most "
                        f"{MAX_SIDE_PX} px, without its metadata (EXIF GPS position included).",
                    }
                },
            }
        }
    },
}
_IMAGE_HEADERS: Final = {
    "ETag": {"description": "The image's SHA-256 (the thumbnail's ends in -thumb)"},
    "Cache-Control": {"description": IMMUTABLE},
}
_IMAGE: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "The JPEG",
        "content": {JPEG: {"schema": {"type": "string", "format": "binary"}}},
        "headers": _IMAGE_HEADERS,
    },
    304: {"description": "Not modified", "headers": _IMAGE_HEADERS},
    **problem_responses(404),
}
IfNoneMatch = Annotated[str | None, Header()]


# -- routes -------------------------------------------------------------------------------------


@router.post(
    "/stations/{station_id}/photos",
    operation_id="uploadStationPhoto",
    status_code=201,
    response_model=PhotoRecord,
    responses={
        201: {"headers": {"Location": {"description": "The photo: /v1/photos/{id}"}}},
        **problem_responses(400, 401, 403, 404, 413, 415, 422),
    },
    openapi_extra={"requestBody": PHOTO_BODY},
)
async def upload_station_photo(
    station_id: str, request: Request, token: TokenDep, store: StoreDep
) -> Response:
    """Add a photo of a station (editors: stations in their districts). It is stored
    re-encoded, upright and without metadata; answers 201 with its description and Location."""
    station = await _station_to_edit(store, token, station_id)
    data, content_type = await _read_photo(request)
    files = await anyio.to_thread.run_sync(
        process_photo, data, content_type, limiter=_photo_threads()
    )
    photo = await run_in_threadpool(store.add_photo, station.id, files, actor=token.name)
    return _json(_record(photo), status=HTTPStatus.CREATED, Location=_link(photo.id, "image"))


@router.get(
    "/stations/{station_id}/photos",
    operation_id="listStationPhotos",
    response_model=StationPhotos,
    responses=problem_responses(404),
)
async def list_station_photos(station_id: str, store: StoreDep) -> Response:
    """A station's photos, newest first."""
    photos = await run_in_threadpool(store.photos_of, _station_id(station_id))
    return _json({"station_id": station_id, "photos": [_public(p) for p in photos]})


@router.get(
    "/photos/{photo_id}",
    operation_id="getPhoto",
    response_class=Response,
    responses=_IMAGE,
)
async def get_photo(photo_id: str, store: StoreDep, if_none_match: IfNoneMatch = None) -> Response:
    """The photo as a JPEG; it never changes (ETag, cacheable for a year)."""
    return await _image(store, photo_id, "image", if_none_match)


@router.get(
    "/photos/{photo_id}/thumbnail",
    operation_id="getPhotoThumbnail",
    response_class=Response,
    responses=_IMAGE,
)
async def get_photo_thumbnail(
    photo_id: str, store: StoreDep, if_none_match: IfNoneMatch = None
) -> Response:
    """The photo's thumbnail as a JPEG; it never changes (ETag, cacheable for a year)."""
    return await _image(store, photo_id, "thumbnail", if_none_match)


@router.delete(
    "/photos/{photo_id}",
    operation_id="deletePhoto",
    response_model=PhotoRecord,
    responses=problem_responses(401, 403, 404),
)
async def delete_photo(photo_id: str, token: TokenDep, store: StoreDep) -> Response:
    """Delete a photo (editors: of stations in their districts). Its bytes are gone; who
    uploaded and who deleted it stay on record. Answers with its description."""
    photo = await _current_photo(store, photo_id)
    await _station_to_edit(store, token, photo.station_id)
    deleted = await run_in_threadpool(store.delete_photo, photo.id, actor=token.name)
    return _json(_record(deleted))


# -- helpers ------------------------------------------------------------------------------------


def _station_id(raw: str) -> StationId:
    # PostgreSQL text cannot hold NUL: such an id names no station (and must not reach SQL).
    if "\x00" in raw:
        raise StationNotFound(raw)
    return StationId(raw)


async def _station_to_edit(store: StationStore, token: Token, station_id: str) -> Station:
    """The station, if ``token`` may edit it where it is (404, 403 otherwise)."""
    station = await run_in_threadpool(store.get, _station_id(station_id))
    editing.authorize(token, None, station.to_draft())
    return station


async def _current_photo(store: StationStore, photo_id: str) -> Photo:
    """A photo not deleted, or 404 (an id that cannot be a photo's is not looked up)."""
    if not _PHOTO_ID.fullmatch(photo_id):
        raise PhotoNotFound(photo_id)
    photo = await run_in_threadpool(store.photo, photo_id)
    if photo.deleted_at is not None:
        raise PhotoNotFound(photo_id)
    return photo


async def _image(
    store: StationStore, photo_id: str, size: Size, if_none_match: str | None
) -> Response:
    photo = await _current_photo(store, photo_id)
    etag = f'"{photo.sha256}"' if size == "image" else f'"{photo.sha256}-thumb"'
    headers = {"ETag": etag, "Cache-Control": IMMUTABLE, "X-Content-Type-Options": "nosniff"}
    if if_none_match is not None and if_none_match_hits(if_none_match, etag):
        return Response(status_code=HTTPStatus.NOT_MODIFIED, headers=headers)
    data = await run_in_threadpool(store.photo_bytes, photo.id, size)
    return Response(data, media_type=photo.content_type, headers=headers)


async def _read_photo(request: Request) -> tuple[bytes, str | None]:
    """The ``file`` part's bytes and declared media type; 413 as soon as the body is known
    to be too large (by its Content-Length, or while it streams in)."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise ProblemError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, f"{_HOW} (multipart/form-data)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large()
    # Parsed here rather than by request.form() so that the body is counted as it arrives.
    async with aclosing(_limited(request.stream())) as stream:
        parser = MultiPartParser(
            request.headers, stream, max_files=2, max_fields=8, max_part_size=1024
        )
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise ProblemError(
                HTTPStatus.BAD_REQUEST, f"the form cannot be read ({exc.message}); {_HOW}"
            ) from exc
    try:
        upload = _file_part(form)
        return await upload.read(), upload.content_type
    finally:
        await form.close()


async def _limited(stream: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in stream:
        received += len(chunk)
        if received > MAX_UPLOAD_BYTES:
            raise _too_large()
        yield chunk


def _too_large() -> ProblemError:
    return ProblemError(
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        f"the request body is over {MAX_UPLOAD_BYTES:,} bytes: a photo may be at most "
        f"{MAX_PHOTO_BYTES:,} bytes (10 MB). Resize or recompress it and upload it again",
        # The rest of the body is never read: the connection cannot carry another request.
        headers={"Connection": "close"},
    )


def _file_part(form: FormData) -> UploadFile:
    names = [name for name, _ in form.multi_items()]
    problems = [
        Problem(name, "is not a form field of this endpoint; send only file")
        for name in dict.fromkeys(names)
        if name != "file"
    ]
    upload = form.get("file")
    if upload is None:
        problems.append(Problem("file", f"is required: {_HOW}"))
    elif names.count("file") > 1:
        problems.append(Problem("file", "is given more than once; send one photo a request"))
    elif not isinstance(upload, UploadFile):
        problems.append(Problem("file", f"must be a file, not a text field: {_HOW}"))
    if problems or not isinstance(upload, UploadFile):
        raise InvalidInput(problems)
    return upload


def _photo_threads() -> anyio.CapacityLimiter:
    try:
        return _photo_pool.get()
    except LookupError:
        pool = anyio.CapacityLimiter(PHOTO_THREADS)
        _photo_pool.set(pool)
        return pool


def _link(photo_id: str, size: Size) -> str:
    return f"/v1/photos/{photo_id}" + ("/thumbnail" if size == "thumbnail" else "")


def _public(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.id,
        "station_id": photo.station_id,
        "uploaded_at": utc_text(photo.uploaded_at),
        "taken_at": None if photo.taken_at is None else utc_text(photo.taken_at),
        "width": photo.width,
        "height": photo.height,
        "thumb_width": photo.thumb_width,
        "thumb_height": photo.thumb_height,
        "links": {"image": _link(photo.id, "image"), "thumbnail": _link(photo.id, "thumbnail")},
    }


def _record(photo: Photo) -> dict[str, Any]:
    return {
        **_public(photo),
        "uploaded_by": photo.uploaded_by,
        "deleted_by": photo.deleted_by,
        "deleted_at": None if photo.deleted_at is None else utc_text(photo.deleted_at),
    }


def _json(body: dict[str, Any], status: int = HTTPStatus.OK, **headers: str) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )

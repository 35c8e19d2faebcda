"""The camera inventory's and the video patrol's API schemas."""

import datetime as dt

from ninja import Field, Schema

from fengqiao.api.schemas import InputSchema, RowId, Text


class CameraIn(InputSchema):
    device_code: str = Field(
        description="GB/T 28181: 20 digits (centre 8, industry 2, type 131/132, network, serial 6)"
    )
    name: Text
    kind: str = Field(description="skynet, compound, shop or home")
    grid: str = Field(description="the grid's code, in the caller's area")
    compound: int | None = None
    place: Text = ""
    lon: float | None = None
    lat: float | None = None
    direction: int | None = Field(None, description="degrees from north, 0–359")
    at_entrance: bool = False
    owner_name: Text = ""
    owner_phone: Text = ""
    stream_url: Text = ""


class CameraOut(Schema):
    id: int
    device_code: str
    name: str
    kind: str
    status: str
    grid: str
    compound: str
    place: str
    lon: float | None
    lat: float | None
    direction: int | None
    stream_url: str


class ConfirmIn(InputSchema):
    compound: int | None = None
    stream_url: Text = ""


class VideoFindingIn(InputSchema):
    category: str = Field(description="an event category's code")
    title: Text
    description: Text = ""
    camera: RowId | None = Field(None, description="where it was seen; by default the first camera watched")


class VideoPatrolIn(InputSchema):
    station: str = Field(description="the station's path, e.g. 640300/640302/ps01")
    started_at: dt.datetime
    ended_at: dt.datetime
    cameras: list[RowId]
    observations: Text
    finding: VideoFindingIn | None = None


class VideoPatrolOut(Schema):
    id: int
    station: str
    watcher: str
    started_at: dt.datetime
    ended_at: dt.datetime
    cameras: list[str]
    observations: str
    finding: str = Field(description="the event's number, empty when nothing was reported")


class SolvedIn(InputSchema):
    event: str = Field(description="the case's number")
    cameras: list[RowId]
    solved_on: dt.date | None = None
    fugitive_caught: bool = False
    note: Text = ""


class SolvedRowOut(Schema):
    path: str
    name: str
    cases: int
    fugitives: int

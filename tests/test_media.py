"""Rendered outputs: real MP4s of the job's length and size, served with range support."""

from __future__ import annotations

import io

import av
import httpx
import numpy as np
import pytest

from mockserver import Settings, create_app

from helpers import api_key

pytestmark = pytest.mark.anyio

TEXT = "Hello, welcome to our platform! This is a talking avatar rendered by the mock."


@pytest.fixture
def app(tmp_path):
    return create_app(Settings(speed="instant", seed=1, media_dir=tmp_path / "media"))


async def completed(client, **body) -> dict:
    r = await client.post("/v1/avatar", json={"service": "hedra", "text": TEXT, "avatarId": "professional-1", **body}, headers=api_key())
    job_id = r.json()["data"]["avatar"]["id"]
    job = (await client.get(f"/v1/avatar/{job_id}", headers=api_key())).json()["data"]["avatar"]
    assert job["status"] == "completed"
    return job


async def test_output_is_an_h264_aac_mp4_of_the_jobs_length_and_size(client):
    job = await completed(client, aspectRatio="9:16", resolution="540p")
    r = await client.get(job["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        assert (video.codec_context.width, video.codec_context.height) == (job["metadata"]["width"], job["metadata"]["height"]) == (540, 960)
        assert container.duration / 1e6 == pytest.approx(job["duration"], abs=0.15)
        samples = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    loudness = np.abs(samples).reshape(-1, 1024)[:-1].mean(axis=1) if samples.size >= 2048 else np.abs(samples)
    assert loudness.max() > 0.02  # there is sound
    assert loudness.min() < loudness.max() / 4  # and it pauses, like speech


AUDIO_FRAME = 1024 / 22050  # one AAC frame at the renderer's sample rate


def served_lengths(content: bytes) -> dict[str, float]:
    """What a player sees: the container's length, each track's, and how far the decoded frames reach."""
    with av.open(io.BytesIO(content)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        lengths = {
            "container": container.duration / 1e6,
            "video track": float(video.duration * video.time_base),
            "audio track": float(audio.duration * audio.time_base),
        }
        packets = [p for p in container.demux(video) if p.pts is not None]
        lengths["last video frame's end"] = max(float((p.pts + p.duration) * p.time_base) for p in packets)
        container.seek(0)
        samples = sum(f.samples for f in container.decode(audio=0))
        lengths["decoded audio"] = samples / audio.codec_context.sample_rate
    return lengths


@pytest.mark.parametrize("text", [
    "Hello, welcome to our platform!",  # 2.3 s billed: was served as 2.334 s (35 frames at 15 fps)
    "Hi",  # the shortest job
    TEXT,
])
async def test_the_video_is_as_long_as_the_billed_duration(client, text):
    job = await completed(client, text=text)
    assert job["duration"] == job["metadata"]["duration"]
    lengths = served_lengths((await client.get(job["url"])).content)
    for what, seconds in lengths.items():
        tolerance = AUDIO_FRAME if what == "decoded audio" else 0.001
        assert seconds == pytest.approx(job["duration"], abs=tolerance), (what, lengths, job["duration"])


async def test_the_mouth_moves(client):
    job = await completed(client, resolution="540p")
    r = await client.get(job["url"])
    with av.open(io.BytesIO(r.content)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    changing = np.abs(frames[3].astype(int) - frames[6].astype(int)).sum(axis=2) > 30
    ys, _ = np.nonzero(changing)
    assert ys.size > 0, "no pixel changed between frames"
    assert ys.mean() < 540 * 0.75  # around the face, not only the caption


async def test_ranges_work_for_seeking(client):
    job = await completed(client)
    full = (await client.get(job["url"])).content
    r = await client.get(job["url"], headers={"Range": "bytes=100-199"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 100-199/{len(full)}"
    assert r.content == full[100:200]
    assert (await client.head(job["url"])).headers["accept-ranges"] == "bytes"


async def test_bad_ranges_are_answered_in_the_error_format(client):
    job = await completed(client)
    size = len((await client.get(job["url"])).content)
    for bad in ("bytes=abc", "bytes=9-1", "items=0-5", "bytes="):
        r = await client.get(job["url"], headers={"Range": bad})
        assert r.status_code == 400, bad
        assert r.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "Range"}
    r = await client.get(job["url"], headers={"Range": f"bytes={size + 10}-"})
    assert r.status_code == 416 and r.json()["errors"][0]["extensions"]["code"] == "RANGE_NOT_SATISFIABLE"
    assert r.headers["content-range"] == f"bytes */{size}"
    r = await client.get("/avatars/professional-1/portrait", headers={"Range": "bytes=x"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["field"] == "Range"


async def test_the_same_content_renders_once(app, client, tmp_path):
    first = await completed(client)
    second = await completed(client)
    assert first["id"] != second["id"]
    assert (await client.get(first["url"])).content == (await client.get(second["url"])).content
    assert len(list((tmp_path / "media").glob("*.mp4"))) == 1


@pytest.mark.parametrize(("text", "shape"), [
    (TEXT, {"aspectRatio": "16:9", "resolution": "720p"}),
    ("Hi", {"aspectRatio": "9:16", "resolution": "540p"}),
    ("Hello, welcome to our platform!", {"aspectRatio": "1:1", "resolution": "1080p"}),
])
async def test_no_render_serves_a_still_of_the_jobs_size_and_length(tmp_path, text, shape):
    """`--no-render` keeps the contract `doitong-mock check --spend` verifies: a playable MP4 at
    metadata.width x height and exactly the billed duration, only without the rendering."""
    app = create_app(Settings(speed="instant", render=False, media_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as client:
        job = await completed(client, text=text, **shape)
        r = await client.get(job["url"])
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(r.content)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264" and audio.codec_context.name == "aac"
        first = next(container.decode(video=0))
        assert (first.width, first.height) == (job["metadata"]["width"], job["metadata"]["height"])
        container.seek(0)
        samples = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert np.abs(samples).max() == 0  # silence: nothing was said
    lengths = served_lengths(r.content)
    for what, seconds in lengths.items():
        tolerance = 1024 / audio.codec_context.sample_rate if what == "decoded audio" else 0.001
        assert seconds == pytest.approx(job["duration"], abs=tolerance), (what, lengths, job["duration"])


async def test_no_render_encodes_one_still_per_size_and_length(tmp_path):
    app = create_app(Settings(speed="instant", render=False, media_dir=tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://m") as client:
        hello = await completed(client, text="Hello there")
        hi = await completed(client, text="Hi there", avatarId="casual-1")  # another avatar, same length
        longer = await completed(client, text=TEXT)
        videos = [(await client.get(job["url"])).content for job in (hello, hi, longer)]
    assert hello["duration"] == hi["duration"] != longer["duration"]
    assert videos[0] == videos[1] != videos[2]
    assert len(list(tmp_path.glob("*.mp4"))) == 2

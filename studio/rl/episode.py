"""A recorded episode: every frame the game drew, the action taken, its Q-values and reward.

Frames are kept zlib-compressed one by one (a CartPole frame is 720 kB raw, about 5 kB compressed): the
same bytes go into the session file as HDF5 deflate chunks, and a viewer decompresses only the frame
it shows.
"""
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

FRAME_LEVEL = 1  # zlib level: 6 is ~2x smaller on these flat drawings but several times slower to write
# Atari frames: level 6 is 2.6× smaller than 1 (a trained Breakout game: 629 against 1,664 bytes a frame) for
# 0.6 ms a frame on the compressing thread, which keeps a whole Pong game far below 20 MB
# (benchmarks/results/atari_episode_size.md).
ATARI_FRAME_LEVEL = 6
# zlib releases the GIL while it compresses: a frame compresses on the other core while the game draws
# the next one.
_compressor = None


def _submit(frame: np.ndarray, level: int) -> Future:
    global _compressor
    if _compressor is None:
        _compressor = ThreadPoolExecutor(1, thread_name_prefix="frame-compress")
    return _compressor.submit(compress_frame, frame, level)


@dataclass(frozen=True)
class EpisodeSpec:
    """What a trainer's episodes look like, known before the first one: for the session file and viewers."""
    env: str
    frame_shape: tuple       # (H, W, 3)
    action_names: tuple
    fps: int                 # the game's own playing speed


@dataclass
class Episode:
    """Row t: frame t shows the state in which action t was chosen (Q-values q_values[t]) and reward t
    followed. The last row is the final state: its action is -1 and its reward 0."""
    step: int                # the training step at which the agent played it
    seed: int                # the game's reset seed: the episode can be played again
    frame_shape: tuple
    frames: list = field(default_factory=list)  # zlib-compressed uint8 (H, W, 3), one per row (see finish)
    actions: list = field(default_factory=list)
    q_values: list = field(default_factory=list)
    rewards: list = field(default_factory=list)
    # In memory only, never written: a CPU copy of the Q-network that played it (for its saliency maps).
    network: object = field(default=None, repr=False, compare=False)
    level: int = field(default=FRAME_LEVEL, repr=False, compare=False)  # zlib level of frames added

    def add(self, frame: np.ndarray, action: int, q_values: np.ndarray, reward: float) -> None:
        if frame.shape != tuple(self.frame_shape):
            raise ValueError(f"a frame of {frame.shape} in an episode of {self.frame_shape} frames")
        self.frames.append(_submit(np.array(frame, np.uint8, copy=True), self.level))
        self.actions.append(int(action))
        self.q_values.append(np.asarray(q_values, np.float32))
        self.rewards.append(float(reward))

    def finish(self) -> "Episode":
        """Wait for the frames still being compressed; after this every frame is bytes."""
        self.frames = [f.result() if isinstance(f, Future) else f for f in self.frames]
        return self

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def total_return(self) -> float:
        return float(sum(self.rewards))

    def frame(self, t: int) -> np.ndarray:
        data = self.frames[t]
        data = data.result() if isinstance(data, Future) else data
        return np.frombuffer(zlib.decompress(data), np.uint8).reshape(self.frame_shape)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """actions int16 (T,), q_values float32 (T, A), rewards float32 (T,)."""
        return (np.asarray(self.actions, np.int16), np.stack(self.q_values).astype(np.float32),
                np.asarray(self.rewards, np.float32))

    def nbytes(self) -> int:
        return sum(len(f) for f in self.finish().frames)


def compress_frame(frame: np.ndarray, level: int = FRAME_LEVEL) -> bytes:
    return zlib.compress(np.ascontiguousarray(frame, np.uint8).tobytes(), level)

"""``merl-core`` as a script, for tests that launch pretraining under torchrun or srun-style
environments (console scripts would run another checkout's code)."""

from merl_core.cli import app

if __name__ == "__main__":
    app(prog_name="merl-core")

"""A revision's files as the metric families read them (RevisionSide → DvcProject.copy_file): a file committed
to git comes from git, without a DVC repository opened at the revision; a DVC output comes through DVC
(its cache); a Git LFS pointer is left to DVC's view of the revision; a missing file is None."""

from __future__ import annotations

from mlgate.edges.dvc.project import DvcProject
from mlgate.edges.sides import RevisionSide
from tests.support.dvc_repo import make_project, train_stage


def test_committed_files_come_from_git_and_dvc_outputs_through_the_dvc_cache(tmp_path):
    stage = train_stage({"eval/committed.json": "metrics", "eval/cached.json": "metrics"})
    stage["metrics"] = [{"eval/committed.json": {"cache": False}}, {"eval/cached.json": {"cache": True}}]
    p = make_project(tmp_path / "repo", subdir="ml", stages={"train": stage})  # a DVC project in a subfolder
    base = p.sha()
    committed = p.path("eval/committed.json").read_bytes()
    cached = p.path("eval/cached.json").read_bytes()
    p.update_params({"metrics": {"accuracy": 0.5}})
    p.repro()
    p.commit("head")
    assert p.path("eval/committed.json").read_bytes() != committed  # the head's differ from the base's

    project = DvcProject(p.dir)
    side = RevisionSide("base", base, project, tmp_path / "scratch")
    got = side.path("eval/committed.json")
    assert got is not None and got.read_bytes() == committed
    assert base not in project._revisions  # no DVC repository was switched to the base for it
    assert side.path("eval/nothing-here.json") is None

    got = side.path("eval/cached.json")  # not in git: through DVC at the base, from the cache
    assert got is not None and got.read_bytes() == cached
    assert base in project._revisions
    project.close()


def test_a_git_lfs_pointer_is_not_taken_for_the_file(tmp_path):
    p = make_project(tmp_path / "repo")
    pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 12\n"
    p.write("big.bin", pointer)
    base = p.commit("an LFS pointer, without git-lfs here")
    project = DvcProject(p.dir)
    dest = tmp_path / "scratch" / "big.bin"
    assert not project._from_git("big.bin", base, dest)
    assert not dest.exists()
    # DVC's own view of the revision is asked instead (it gives what git holds when LFS is not set up)
    side = RevisionSide("base", base, project, tmp_path / "scratch2")
    got = side.path("big.bin")
    assert got is not None and got.read_text() == pointer
    assert base in project._revisions
    project.close()

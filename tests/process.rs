//! Child processes on every backend.

#![cfg(unix)]

use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use anyio::process::{open_process, run_process, Command, ProcessError, Redirect};
use anyio::streams::{BufferedByteReceiveStream, StreamError};

#[anyio::test]
async fn run_success_captures_output() {
    let done = run_process(["echo", "hi", "there"]).await.unwrap();
    assert!(done.status.success());
    assert_eq!(done.stdout, b"hi there\n");
    assert!(done.stderr.is_empty());
}

#[anyio::test]
async fn run_failure_with_check_carries_output() {
    let error = run_process(["sh", "-c", "echo out; echo err >&2; exit 3"])
        .await
        .unwrap_err();
    assert_eq!(error.status().and_then(|s| s.code()), Some(3));
    assert!(error.to_string().contains("exit status: 3"), "{error}");
    let ProcessError::Failed {
        command,
        stdout,
        stderr,
        ..
    } = error
    else {
        panic!("expected Failed, got {error:?}");
    };
    assert_eq!(command, ["sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert_eq!(stdout, b"out\n");
    assert_eq!(stderr, b"err\n");
}

#[anyio::test]
async fn run_failure_without_check_is_a_result() {
    let command = Command::new("sh")
        .args(["-c", "echo out; exit 4"])
        .check(false);
    let done = run_process(command).await.unwrap();
    assert_eq!(done.status.code(), Some(4));
    assert_eq!(done.stdout, b"out\n");
}

#[anyio::test]
async fn run_feeds_stdin_input() {
    let input: Vec<u8> = (0..200_000u32).flat_map(|n| n.to_le_bytes()).collect();
    let done = run_process(Command::new("cat").input(input.clone()))
        .await
        .unwrap();
    assert_eq!(done.stdout.len(), input.len());
    assert!(done.stdout == input);
}

#[anyio::test]
async fn run_input_to_a_child_that_does_not_read_it() {
    let done = run_process(Command::new("true").input(vec![7u8; 4 << 20]))
        .await
        .unwrap();
    assert!(done.status.success());
}

#[anyio::test]
async fn large_output_on_both_streams_does_not_deadlock() {
    const SIZE: usize = 10 * 1024 * 1024;
    let script = format!("head -c {SIZE} /dev/zero; head -c {SIZE} /dev/zero >&2");
    let started = Instant::now();
    let done = anyio::fail_after(Duration::from_secs(60), run_process(["sh", "-c", &script]))
        .await
        .expect("a 10 MiB output must not deadlock")
        .unwrap();
    assert_eq!(done.stdout.len(), SIZE);
    assert_eq!(done.stderr.len(), SIZE);
    assert!(done.stdout.iter().all(|&b| b == 0));
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[anyio::test]
async fn non_utf8_output_is_preserved() {
    let done = run_process(["printf", "\\377\\376a\\0b"]).await.unwrap();
    assert_eq!(done.stdout, [0xff, 0xfe, b'a', 0, b'b']);
}

#[anyio::test]
async fn missing_executable_is_named() {
    let error = run_process(["nonexistent-binary-xyz", "--flag"])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ProcessError::NotFound { program } if program == "nonexistent-binary-xyz")
    );
    assert!(error
        .to_string()
        .contains("no such program: 'nonexistent-binary-xyz'"));
    let error = open_process(["/nonexistent/dir/tool"]).await.unwrap_err();
    assert!(
        error.to_string().contains("'/nonexistent/dir/tool'"),
        "{error}"
    );
}

#[anyio::test]
async fn bad_commands_are_typed_errors() {
    let empty: [&str; 0] = [];
    assert!(matches!(
        run_process(empty).await,
        Err(ProcessError::EmptyCommand)
    ));
    assert!(matches!(
        run_process(Command::new("")).await,
        Err(ProcessError::EmptyCommand)
    ));
    let error = run_process(Command::new("cat").input("x").stdin(Redirect::Null))
        .await
        .unwrap_err();
    assert!(matches!(error, ProcessError::InvalidArgument(_)));
    let error = open_process(Command::new("cat").input("x"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("stdin"), "{error}");
    let error = run_process(Command::new("true").current_dir("/nonexistent-dir-xyz"))
        .await
        .unwrap_err();
    assert!(matches!(error, ProcessError::Spawn { .. }));
    assert!(
        error.to_string().contains("/nonexistent-dir-xyz"),
        "{error}"
    );
}

#[anyio::test]
async fn redirects() {
    let command = Command::new("sh")
        .args(["-c", "echo out; echo err >&2"])
        .stdout(Redirect::Null);
    let done = run_process(command).await.unwrap();
    assert!(done.stdout.is_empty());
    assert_eq!(done.stderr, b"err\n");
    let done = run_process(Command::new("cat")).await.unwrap();
    assert!(done.stdout.is_empty(), "stdin defaults to the null device");
    let done = run_process(
        Command::new("sh")
            .args(["-c", "echo $A-${B-unset}"])
            .env("A", "a")
            .env("B", "b")
            .env_remove("B"),
    )
    .await
    .unwrap();
    assert_eq!(done.stdout, b"a-unset\n");
}

#[anyio::test]
async fn open_process_streams_line_by_line() {
    let mut process = open_process(["cat"]).await.unwrap();
    let stdin = process.take_stdin().unwrap();
    let stdout = BufferedByteReceiveStream::new(process.take_stdout().unwrap());
    for n in 0..100 {
        let line = format!("line {n}\n");
        stdin.send(line.as_bytes()).await.unwrap();
        let echoed = stdout.receive_until(b"\n", 64).await.unwrap();
        assert_eq!(&echoed[..], line.trim_end().as_bytes());
    }
    drop(stdin);
    assert!(matches!(
        stdout.receive(16).await,
        Err(StreamError::EndOfStream)
    ));
    let status = process.wait().await.unwrap();
    assert!(status.success());
    assert_eq!(process.try_wait().unwrap(), Some(status));
}

#[anyio::test]
async fn kill_terminate_pid_and_wait() {
    let process = open_process(["sleep", "30"]).await.unwrap();
    assert!(process.pid() > 0);
    assert!(process.try_wait().unwrap().is_none());
    process.terminate().unwrap();
    let status = process.wait().await.unwrap();
    assert_eq!(status.signal(), Some(15));
    // Signalling an exited child does nothing.
    process.kill().unwrap();
    process.terminate().unwrap();

    let process = open_process(["sleep", "30"]).await.unwrap();
    process.kill().unwrap();
    assert_eq!(process.wait().await.unwrap().signal(), Some(9));
    assert_eq!(process.wait().await.unwrap().signal(), Some(9));
}

#[anyio::test]
async fn waits_run_concurrently_with_other_tasks() {
    let process = open_process(["sh", "-c", "sleep 0.2; exit 5"])
        .await
        .unwrap();
    let ticks = std::sync::atomic::AtomicUsize::new(0);
    let ticker = async {
        while process.try_wait().unwrap().is_none() {
            ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            anyio::sleep(Duration::from_millis(10)).await;
        }
    };
    let (status, ()) = futures_util::join!(process.wait(), ticker);
    assert_eq!(status.unwrap().code(), Some(5));
    assert!(
        ticks.load(std::sync::atomic::Ordering::Relaxed) > 1,
        "the loop was blocked"
    );
}

/// Whether `pid` is gone: reaped, not merely a zombie.
#[cfg(target_os = "linux")]
fn is_gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(target_os = "linux")]
async fn wait_until_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !is_gone(pid) {
        assert!(
            Instant::now() < deadline,
            "process {pid} was not killed and reaped"
        );
        anyio::sleep(Duration::from_millis(10)).await;
    }
}

/// Cancels `run_process` once its child (a shell that writes its pid to a file and then
/// becomes `sleep 30`) has started, and checks the child is killed and reaped.
#[cfg(target_os = "linux")]
#[anyio::test]
async fn cancelled_run_process_kills_and_reaps() {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let pid_file = std::env::temp_dir().join(format!("anyio-test-{}-{n}.pid", std::process::id()));
    let script = format!(
        "echo $$ > {}.tmp; mv {0}.tmp {0}; exec sleep 30",
        pid_file.display()
    );
    let scope = anyio::CancelScope::new();
    let handle = scope.handle();
    let started = Instant::now();
    let body = async {
        futures_util::join!(run_process(["sh", "-c", &script]), async {
            while !pid_file.exists() {
                anyio::sleep(Duration::from_millis(10)).await;
            }
            // Give the shell time to exec `sleep`.
            anyio::sleep(Duration::from_millis(100)).await;
            handle.cancel();
        })
    };
    let outcome = anyio::fail_after(Duration::from_secs(20), scope.run(body))
        .await
        .expect("the child started and was cancelled");
    assert!(outcome.is_none());
    assert!(started.elapsed() < Duration::from_secs(20));
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::remove_file(&pid_file).unwrap();
    wait_until_gone(pid).await;
}

#[cfg(target_os = "linux")]
#[anyio::test]
async fn dropped_process_is_killed_and_reaped() {
    let process = open_process(["sleep", "30"]).await.unwrap();
    let pid = process.pid();
    assert!(!is_gone(pid));
    drop(process);
    wait_until_gone(pid).await;
}

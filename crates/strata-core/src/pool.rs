//! One bounded pool for per-layer work: a fixed number of scoped threads take layers in
//! order, whatever the image's layer count, and the first error stops the handing out.

use crate::error::{Error, Result};

/// Runs `f(0..n)` on at most `threads` threads; results in order, or the first error (by
/// layer position).
pub fn run<T: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let slots: Vec<std::sync::Mutex<Option<Result<T>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let threads = threads.clamp(1, n.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    if r.is_err() {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(r);
                    }
                }
            });
        }
    });
    let mut out = Vec::with_capacity(n);
    let mut missing = false;
    for s in slots {
        match s.into_inner().ok().flatten() {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            None => missing = true,
        }
    }
    if missing {
        return Err(Error::InvalidInput("a layer worker stopped early".into()));
    }
    Ok(out)
}

/// Worker threads for layer passes: one per core. Each pass already splits decompression
/// from the walk over two threads, and each holds a layer's tables: more at once only
/// raises the peak memory.
pub fn layer_threads() -> usize {
    std::thread::available_parallelism()
        .map(|t| t.get())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_items_few_threads_first_error_wins() {
        let v = run(1000, 3, |i| Ok(i * 2)).unwrap();
        assert_eq!(v.len(), 1000);
        assert_eq!(v[999], 1998);
        let e = run(50, 2, |i| {
            if i >= 7 {
                Err(Error::InvalidInput(format!("bad {i}")))
            } else {
                Ok(i)
            }
        })
        .unwrap_err();
        assert!(e.to_string().starts_with("bad"));
    }
}

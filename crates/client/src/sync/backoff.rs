//! Retry delays while the city server is unreachable: doubling from 2 s to 5 min,
//! each with ±50 % jitter so a county's stations do not all retry in the same second
//! when the link comes back.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub struct Backoff {
    failures: u32,
    base: Duration,
    max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(2), Duration::from_mins(5))
    }
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            failures: 0,
            base,
            max,
        }
    }

    /// A round succeeded: the next failure starts from the base delay again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// A round failed: how long to wait before the next one.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let nominal = self.base.saturating_mul(1 << exp).min(self.max);
        let factor = rand::rng().random_range(0.5..1.5);
        nominal.mul_f64(factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter() {
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_mins(5));
        let d: Vec<f64> = (0..12).map(|_| b.next_delay().as_secs_f64()).collect();
        assert!((1.0..3.0).contains(&d[0]), "{d:?}");
        assert!((2.0..6.0).contains(&d[1]), "{d:?}");
        assert!(d.iter().all(|x| *x < 450.0), "capped: {d:?}");
        assert!(d[11] >= 150.0, "reaches the cap: {d:?}");
        b.reset();
        assert!(b.next_delay().as_secs_f64() < 3.0);
    }
}

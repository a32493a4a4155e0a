//! The quantised Jacobi SVD of the IMU interface: diagonalises a 3 × 3 integer covariance `C`
//! with 2 × 2 Givens rotations read from a 64-angle lookup table.
//!
//! `D` starts as `C`, `R` as `(2^31 − 1)·I`. Up to 4 rounds (a round stops early, before it
//! starts, when `D` is already diagonal) visit the sub-matrices `(p, q) = (0, 1), (0, 2), (1, 2)`
//! (the left-out index `dim` = 2, 1, 0). For `a = D_pp`, `b = D_pq`, `c = D_qq` with `b ≠ 0`:
//!
//! * `s = sign(b·(a − c))`, or `sign(b)` when `a = c`;
//! * the table row: 63 if `a = c`; if `|2b| ≤ |a − c|` the number of rows `i < 32` with
//!   `tan2_i·|a − c| ≤ |2b|·2^16` (32 becomes 31); else 32 plus the number of rows `i ≥ 32` with
//!   `cot2_i·|2b| ≥ |a − c|·2^16` (64 becomes 63);
//! * `corr = 2b·inv2sin2·s` (large angles, `|2b| > |a − c|`) or `(a − c)·inv2cos2`,
//!   `a' = (((a + c)·2^16)/2 + corr) >> 16`, `c' = (((a + c)·2^16)/2 − corr) >> 16`; a value
//!   `≤ 0` is clamped to 0 (Rockpool warns "negative diagonal elements"); `D_pq = 0`;
//! * the other column `(v0, v1) = (D_p,dim, D_q,dim)` becomes
//!   `((cos·v0 + s·sin·v1) >> 16, (−s·sin·v0 + cos·v1) >> 16)` (and its mirror);
//! * `R ← (R·G) >> 16` element by element, where `G` embeds `[[cos, −s·sin], [s·sin, cos]]` at
//!   `(p, q)` and `2^16` at `(dim, dim)`.
//!
//! Finally the columns of `R` (and `D`) are sorted by decreasing diagonal of `D`, ties in reverse
//! index order (numpy's stable `argsort` reversed). Register overflows are errors, as in
//! Rockpool (`ValueError`).

use crate::Result;
use crate::error::Error;

// The lookup table of Rockpool 3.1.0's `RotationLookUpTable` (`rockpool.devices.xylo.syns63300.
// imuif.rotation.jsvd`, dumped by `tests/fixtures/make_imu_fixtures.py` into `tables.json`):
// 64 angles `linspace(0, 45°, 64)`; rows 0..31 are below 22.5°, rows 32..63 above.

/// `sin θ_i · (2^16 − 1)`, truncated.
const SIN_Q: [i64; 64] = [
    0, 816, 1633, 2450, 3266, 4082, 4897, 5711, 6525, 7337, 8148, 8958, 9767, 10574, 11380, 12183,
    12985, 13785, 14582, 15378, 16171, 16961, 17749, 18534, 19316, 20095, 20872, 21644, 22414,
    23180, 23942, 24701, 25456, 26206, 26953, 27696, 28434, 29168, 29897, 30622, 31342, 32057,
    32767, 33472, 34172, 34866, 35555, 36239, 36917, 37589, 38255, 38916, 39570, 40218, 40860,
    41495, 42125, 42747, 43363, 43972, 44575, 45170, 45758, 46340,
];
/// `cos θ_i · (2^16 − 1)`, truncated.
const COS_Q: [i64; 64] = [
    65535, 65529, 65514, 65489, 65453, 65407, 65351, 65285, 65209, 65122, 65026, 64919, 64803,
    64676, 64539, 64392, 64235, 64068, 63891, 63705, 63508, 63301, 63085, 62859, 62623, 62377,
    62122, 61857, 61582, 61298, 61004, 60701, 60388, 60066, 59735, 59394, 59044, 58685, 58317,
    57940, 57554, 57159, 56754, 56342, 55920, 55490, 55051, 54603, 54147, 53683, 53210, 52729,
    52240, 51742, 51237, 50723, 50202, 49673, 49136, 48592, 48040, 47481, 46914, 46340,
];
/// `tan 2θ_i · 2^16` for rows 0..31 (strictly increasing).
const TAN2_Q: [i64; 32] = [
    0, 1634, 3270, 4911, 6557, 8212, 9877, 11555, 13248, 14958, 16687, 18438, 20215, 22018, 23853,
    25720, 27625, 29570, 31560, 33598, 35689, 37837, 40048, 42327, 44681, 47117, 49641, 52263,
    54991, 57835, 60808, 63922,
];
/// `cot 2θ_i · 2^16` for rows 32..63 (strictly decreasing).
const COT2_Q: [i64; 32] = [
    63922, 60808, 57835, 54991, 52263, 49641, 47117, 44681, 42327, 40048, 37837, 35689, 33598,
    31560, 29570, 27625, 25720, 23853, 22018, 20215, 18438, 16687, 14958, 13248, 11555, 9877, 8212,
    6557, 4911, 3270, 1634, 0,
];
/// `2^16 / (2 cos 2θ_i)` for rows 0..31.
const INV_2COS2_Q: [i64; 32] = [
    32768, 32778, 32808, 32859, 32931, 33024, 33138, 33273, 33430, 33610, 33813, 34040, 34291,
    34568, 34870, 35201, 35560, 35949, 36369, 36823, 37311, 37837, 38401, 39008, 39659, 40357,
    41107, 41911, 42775, 43703, 44700, 45773,
];
/// `2^16 / (2 sin 2θ_i)` for rows 32..63.
const INV_2SIN2_Q: [i64; 32] = [
    45773, 44700, 43703, 42775, 41911, 41107, 40357, 39659, 39008, 38401, 37837, 37311, 36823,
    36369, 35949, 35560, 35201, 34870, 34568, 34291, 34040, 33813, 33610, 33430, 33273, 33138,
    33024, 32931, 32859, 32808, 32778, 32768,
];

/// Bits of the lookup-table values (Rockpool's `NUM_BITS`).
const LUT_BITS: u32 = 16;
/// Jacobi rounds (Rockpool's `NROUND`).
const ROUNDS: usize = 4;
/// `|D|` must stay below this (`2^(NUM_BITS_COVARIANCE − 1 + COV_EXTRA_BIT)`).
const D_LIMIT: i64 = 1 << 32;
/// `|R|` must stay below this (`2^(NUM_BITS_ROTATION − 1 + ROT_EXTRA_BIT)`).
const R_LIMIT: i64 = 1 << 32;
/// Partial sums of `R·G` must stay below this (`2^(32 + 16 − 1 + 1)`).
const RG_LIMIT: i64 = 1 << 48;
/// The input covariance must be at most `2^30 − 1` in magnitude.
const C_MAX: i64 = (1 << 30) - 1;

/// The result of one [`Jsvd::decompose`]: 3 × 3 matrices, row-major.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsvdResult {
    /// The rotation, columns sorted by decreasing singular value (scale `2^31`).
    pub rotation: [[i64; 3]; 3],
    /// The almost-diagonal matrix, sorted the same way.
    pub diagonal: [[i64; 3]; 3],
    /// Whether a diagonal element went `≤ 0` and was clamped (Rockpool warns).
    pub clamped: bool,
}

/// Rockpool's `JSVD`: the quantised Jacobi SVD described in the module documentation.
#[doc(alias = "JSVD")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Jsvd;

fn overflow(message: &str) -> Error {
    Error::Overflow {
        module: "RotationRemoval".into(),
        message: format!("JSVD: {message}"),
    }
}

/// The lookup-table row for `a, c ≥ 0`, `b > 0` (see the module documentation).
fn table_row(a: i64, b: i64, c: i64) -> usize {
    let d = (a - c).abs();
    if a == c {
        63
    } else if 2 * b <= d {
        let n = TAN2_Q.partition_point(|&t| t * d <= (2 * b) << LUT_BITS);
        n.min(31)
    } else {
        let n = 32 + COT2_Q.partition_point(|&t| t * 2 * b >= d << LUT_BITS);
        n.min(63)
    }
}

impl Jsvd {
    /// Decomposes the symmetric covariance `c` (entries at most `2^30 − 1` in magnitude).
    pub fn decompose(&self, c: &[[i64; 3]; 3]) -> Result<JsvdResult> {
        if c.iter().flatten().any(|v| v.abs() > C_MAX) {
            return Err(overflow("covariance entry beyond 2^30 - 1"));
        }
        let mut d = *c;
        let r0 = (1i64 << 31) - 1;
        let mut r = [[r0, 0, 0], [0, r0, 0], [0, 0, r0]];
        let mut clamped = false;
        for _ in 0..ROUNDS {
            let off_diagonal = (0..3).any(|i| (0..3).any(|j| i != j && d[i][j] != 0));
            if !off_diagonal {
                break;
            }
            for dim in [2usize, 1, 0] {
                let (p, q) = match dim {
                    2 => (0, 1),
                    1 => (0, 2),
                    _ => (1, 2),
                };
                let (a, b, cc) = (d[p][p], d[p][q], d[q][q]);
                if b == 0 {
                    continue;
                }
                let s: i64 = if a == cc {
                    b.signum()
                } else {
                    b.signum() * (a - cc).signum()
                };
                let row = table_row(a.abs(), b.abs(), cc.abs());
                let (sin, cos) = (SIN_Q[row], COS_Q[row]);
                let corr = if 2 * b.abs() > (a - cc).abs() {
                    2 * b * INV_2SIN2_Q[row - 32] * s
                } else {
                    (a - cc) * INV_2COS2_Q[row]
                };
                let half = ((a + cc) << LUT_BITS) / 2;
                let a_new = (half + corr) >> LUT_BITS;
                let c_new = (half - corr) >> LUT_BITS;
                if a_new.abs() >= D_LIMIT || c_new.abs() >= D_LIMIT {
                    return Err(overflow("over- or under-flow updating the diagonal"));
                }
                clamped |= a_new <= 0 || c_new <= 0;
                let (v0, v1) = (d[p][dim], d[q][dim]);
                if v0.abs() >= D_LIMIT || v1.abs() >= D_LIMIT {
                    return Err(overflow("over- or under-flow updating the off-diagonal"));
                }
                let n0 = (cos * v0 + sin * s * v1) >> LUT_BITS;
                let n1 = (-sin * s * v0 + cos * v1) >> LUT_BITS;
                d[p][p] = a_new.max(0);
                d[q][q] = c_new.max(0);
                d[p][q] = 0;
                d[q][p] = 0;
                d[p][dim] = n0;
                d[dim][p] = n0;
                d[q][dim] = n1;
                d[dim][q] = n1;

                let mut g = [[0i64; 3]; 3];
                g[p][p] = cos;
                g[p][q] = -s * sin;
                g[q][p] = s * sin;
                g[q][q] = cos;
                g[dim][dim] = 1 << LUT_BITS;
                let mut out = [[0i64; 3]; 3];
                for (ri, oi) in r.iter().zip(out.iter_mut()) {
                    for (j, o) in oi.iter_mut().enumerate() {
                        let mut acc = 0i64;
                        for k in 0..3 {
                            acc += ri[k] * g[k][j];
                            if acc.abs() >= RG_LIMIT {
                                return Err(overflow("over- or under-flow in the rotation update"));
                            }
                        }
                        *o = acc >> LUT_BITS;
                        if o.abs() >= R_LIMIT {
                            return Err(overflow("over- or under-flow in the rotation update"));
                        }
                    }
                }
                r = out;
            }
        }
        // numpy's argsort of three values is stable; reversed, ties come in reverse index order.
        let mut order = [0usize, 1, 2];
        order.sort_by_key(|&i| d[i][i]);
        order.reverse();
        let mut rotation = [[0i64; 3]; 3];
        let mut diagonal = [[0i64; 3]; 3];
        for i in 0..3 {
            for (j, &oj) in order.iter().enumerate() {
                rotation[i][j] = r[i][oj];
                diagonal[i][j] = d[order[i]][oj];
            }
        }
        Ok(JsvdResult {
            rotation,
            diagonal,
            clamped,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_monotone_so_counting_is_a_partition_point() {
        assert!(TAN2_Q.windows(2).all(|w| w[0] < w[1]));
        assert!(COT2_Q.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn a_diagonal_covariance_is_sorted_only() {
        let r = Jsvd.decompose(&[[5, 0, 0], [0, 9, 0], [0, 0, 7]]).unwrap();
        let m = (1i64 << 31) - 1;
        assert_eq!(r.rotation, [[0, 0, m], [m, 0, 0], [0, m, 0]]);
        assert_eq!(r.diagonal, [[9, 0, 0], [0, 7, 0], [0, 0, 5]]);
        assert!(!r.clamped);
    }
}

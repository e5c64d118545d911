// SPDX-License-Identifier: GPL-2.0

//! `loop`: every transmitted frame comes back in, through the copying path and the receive
//! path (its filter and length rules included).

#![forbid(unsafe_code)]

use super::{copy, BackendKind, Setup};
use crate::linkstr::{err, LinkError};
use crate::rx;
use crate::vif::{Backend, LinkstrText, Virtif};
use core::any::Any;
use kernel::net::device::{TxResult, TypedDevice};
use kernel::net::rtnl::Rtnl;
use kernel::net::skbuff::SkBuff;
use kernel::prelude::*;

/// The `loop` backend.
pub(crate) struct Loop;

impl Backend for Loop {
    fn linkstr(&self, out: &mut LinkstrText) -> Result {
        out.push(b"loop")
    }

    fn xmit(&self, dev: &TypedDevice<Virtif>, skb: SkBuff) -> TxResult {
        copy::xmit(dev, skb, |frame| {
            // The wire carried the frame; if the receiving side refuses it, it counts it.
            let _ = rx::deliver(dev, frame);
            Ok(())
        })
    }

    fn connected(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl BackendKind for Loop {
    const NAME: &'static [u8] = b"loop";

    fn create(
        _dev: &TypedDevice<Virtif>,
        _rtnl: &Rtnl,
        arg: Option<&[u8]>,
    ) -> Result<Setup, LinkError> {
        if arg.is_some() {
            return Err(err(EINVAL, c"virtif: loop takes no argument"));
        }
        Setup::new(Loop)
    }
}

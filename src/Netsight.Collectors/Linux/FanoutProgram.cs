// The classic BPF program that picks a capture thread for each packet of a PACKET_FANOUT_CBPF group
// (--capture.threads N > 1): a hash that is the same in both directions of a connection, also for the
// connections inside overlay tunnels.
//
// Why not PACKET_FANOUT_HASH (the kernel's __skb_get_hash_symmetric): it hashes the outer headers, and a
// VXLAN or Geneve packet's outer UDP source port comes from a hash its sender took of the inner packet, with
// a seed of its own: the two directions of one pod-to-pod connection carry unrelated outer ports, landed in
// different threads, and the inner TCP analysis (--decap, on by default) lost what each thread did not see
// (the VXLAN lab test: 2 fast retransmissions missed, 2 retransmissions too many). Here the hash is:
//   IPv4/IPv6 with TCP or UDP: source XOR destination address, XOR source XOR destination port;
//   UDP to or from a tunnel port (VXLAN 4789 and 8472, Geneve 6081), IPv4 fragments, other protocols
//   (IP-in-IP, GRE, ICMP, IPv6 with extension headers): the addresses only,
// mixed (a multiplicative hash) so every bit counts; the kernel takes it modulo the group's sockets. XOR is
// symmetric, so both directions meet; a tunnel's packets between two nodes meet in one thread with every connection inside
// them; the fragments of a datagram meet (the unfragmented packets of the same connection may go elsewhere,
// as in `analyze --threads`). Anything not IP (ARP, frames with an in-band VLAN tag) goes to thread 0.
//
// Every load is relative to the network header (SKF_NET_OFF), not to skb->data: the kernel runs fanout
// before it positions the data for the socket, and outgoing packets still start at the link header there
// while incoming ones start at the network header. Hand-assembled because there is no cBPF assembler in
// .NET; the program is about 60 instructions and the lab tests check it against tshark on plain and VXLAN traffic.
using System.Runtime.InteropServices;

namespace Netsight.Collectors.Linux;

internal static class FanoutProgram
{
    [StructLayout(LayoutKind.Sequential)]
    internal readonly struct Instruction(ushort code, byte jt, byte jf, uint k)
    {
        public readonly ushort Code = code;
        public readonly byte Jt = jt;
        public readonly byte Jf = jf;
        public readonly uint K = k;
    }

    // linux/filter.h and linux/bpf_common.h
    private const ushort LdW = 0x00 | 0x00 | 0x20;   // BPF_LD | BPF_W | BPF_ABS
    private const ushort LdH = 0x00 | 0x08 | 0x20;   // BPF_LD | BPF_H | BPF_ABS
    private const ushort LdB = 0x00 | 0x10 | 0x20;   // BPF_LD | BPF_B | BPF_ABS
    private const ushort LdHInd = 0x00 | 0x08 | 0x40; // BPF_LD | BPF_H | BPF_IND
    private const ushort LdMem = 0x00 | 0x60;        // BPF_LD | BPF_MEM
    private const ushort LdxMsh = 0x01 | 0x10 | 0xa0; // BPF_LDX | BPF_B | BPF_MSH: X = 4 * (byte & 0xf)
    private const ushort LdxImm = 0x01 | 0x00;       // BPF_LDX | BPF_IMM
    private const ushort St = 0x02;                  // BPF_ST: M[k] = A
    private const ushort JeqK = 0x05 | 0x10;         // BPF_JMP | BPF_JEQ | BPF_K
    private const ushort JsetK = 0x05 | 0x40;        // BPF_JMP | BPF_JSET | BPF_K
    private const ushort XorX = 0x04 | 0xa0 | 0x08;  // BPF_ALU | BPF_XOR | BPF_X
    private const ushort RshK = 0x04 | 0x70;         // BPF_ALU | BPF_RSH | BPF_K
    private const ushort MulK = 0x04 | 0x20;         // BPF_ALU | BPF_MUL | BPF_K
    private const ushort Tax = 0x07;                 // BPF_MISC | BPF_TAX
    private const ushort RetA = 0x06 | 0x10;         // BPF_RET | BPF_A
    private const ushort RetK = 0x06;                // BPF_RET | BPF_K

    private const uint SkfAdProtocol = unchecked((uint)(-0x1000 + 0)); // SKF_AD_OFF + SKF_AD_PROTOCOL
    private const int NetOff = -0x100000;                              // SKF_NET_OFF

    private static uint Net(int offset) => unchecked((uint)(NetOff + offset));

    /// <summary>The program (see the file's comment), built once.</summary>
    internal static readonly Instruction[] Instructions = Build();

    private static Instruction[] Build()
    {
        var p = new List<Instruction>();
        var fixups = new List<(int At, string Target, bool True)>();
        var labels = new Dictionary<string, int>();
        void I(ushort code, uint k = 0) => p.Add(new Instruction(code, 0, 0, k));
        // A conditional jump to labels: jt/jf filled in once the labels are placed ("" = the next instruction).
        void J(ushort code, uint k, string jt, string jf)
        {
            if (jt != "") fixups.Add((p.Count, jt, true));
            if (jf != "") fixups.Add((p.Count, jf, false));
            p.Add(new Instruction(code, 0, 0, k));
        }
        void Label(string name) => labels[name] = p.Count;

        I(LdW, SkfAdProtocol);
        J(JeqK, 0x0800, "", "not4");
        // IPv4: M[0] = source ^ destination.
        I(LdW, Net(12)); I(Tax); I(LdW, Net(16)); I(XorX); I(St, 0);
        I(LdB, Net(9));
        J(JeqK, 6, "ports4", "");
        J(JeqK, 17, "ports4", "addresses");
        Label("ports4");
        I(LdH, Net(6));
        J(JsetK, 0x3fff, "addresses", ""); // a fragment: more fragments, or an offset
        I(LdxMsh, Net(0));                 // X = the IPv4 header's length
        J(JeqK, 0, "ports", "ports");      // (an unconditional jump: A is the flags word, never 0 and 1 at once)
        Label("not4");
        J(JeqK, 0x86dd, "", "other");
        // IPv6: M[0] = the XOR of the eight words of the two addresses.
        I(LdW, Net(8)); I(Tax);
        foreach (int offset in new[] { 12, 16, 20, 24, 28, 32, 36 }) { I(LdW, Net(offset)); I(XorX); I(Tax); }
        I(St, 0);
        I(LdB, Net(6));
        J(JeqK, 6, "ports6", "");
        J(JeqK, 17, "ports6", "addresses");
        Label("ports6");
        I(LdxImm, 40);
        Label("ports");
        // X = the transport header's offset; M[1] = source port, A = destination port.
        I(LdHInd, Net(0)); I(St, 1);
        J(JeqK, 4789, "addresses", ""); J(JeqK, 8472, "addresses", ""); J(JeqK, 6081, "addresses", "");
        I(LdHInd, Net(2));
        J(JeqK, 4789, "addresses", ""); J(JeqK, 8472, "addresses", ""); J(JeqK, 6081, "addresses", "");
        I(Tax); I(LdMem, 1); I(XorX); I(Tax); I(LdMem, 0); I(XorX);
        J(JeqK, 0, "fold", "fold");
        Label("addresses");
        I(LdMem, 0);
        Label("fold");
        // The kernel keeps A modulo the sockets, so every input bit must reach the bits it keeps: fold the high
        // half in, multiply by 2^32 / golden ratio (Knuth's multiplicative hash) and keep the product's upper half.
        // An XOR fold alone was not enough: Linux gives connect() even ephemeral ports, so the low bits of eight
        // iperf3 connections were all alike and every one of them went to the first thread (bench/fanout.sh).
        I(Tax); I(RshK, 16); I(XorX); I(MulK, 0x9E3779B1); I(RshK, 16);
        I(RetA);
        Label("other");
        I(RetK, 0);

        Instruction[] result = [.. p];
        foreach (var (at, target, isTrue) in fixups)
        {
            int offset = labels[target] - at - 1;
            if (offset is < 0 or > 255) throw new InvalidOperationException($"fanout program: jump to {target} out of range");
            Instruction old = result[at];
            result[at] = isTrue ? new Instruction(old.Code, (byte)offset, old.Jf, old.K) : new Instruction(old.Code, old.Jt, (byte)offset, old.K);
        }
        return result;
    }
}

# Random TCP conversations as pcap for the frame-by-frame comparison with tshark (TcpAnalysisTsharkTests):
# loss, reordering, duplicates, zero windows, probes, keep-alives, window changes, SYN retransmissions, port
# reuse, RST/FIN, missing handshakes, sequence wrap-around.
# Usage: random_tcp_conversations.py OUT.pcap SEED [SEED...]   (a SEED may be a range FIRST-LAST)
# Each seed's conversations are what random.seed(SEED) draws, between its own pair of addresses
# (10.H.L.1 -> 10.H.L.2 with H.L = SEED mod 65536), one seed after the other in time, so one file (one tshark
# run) holds many independent seeds. Prints one line per seed: SEED FIRST_FRAME FRAMES (1-based frame numbers).
import random, struct, sys
def csum(b):
    if len(b)%2: b+=b'\0'
    s=sum(struct.unpack('!%dH'%(len(b)//2),b)); s=(s>>16)+(s&0xffff); s+=s>>16; return (~s)&0xffff
def frame(src,dst,sp,dp,seq,ack,flags,win,payload=0,opts=b''):
    while len(opts)%4: opts+=b'\x01'
    tcp=struct.pack('!HHIIBBHHH',sp,dp,seq&0xffffffff,ack&0xffffffff,(5+len(opts)//4)<<4,flags,win,0,0)+opts+b'a'*payload
    ip=struct.pack('!BBHHHBBH4s4s',0x45,0,20+len(tcp),1,0,64,6,0,bytes(src),bytes(dst))
    ip=ip[:10]+struct.pack('!H',csum(ip))+ip[12:]
    return b'\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x06\x08\x00'+ip+tcp
F,S,R,P,A=1,2,4,8,16
# A seed's conversations last at most 4 x 80 steps x 0.05 s; seeds start this far apart.
SEED_SPACING=100.0

def conversations(seed,start):
    random.seed(seed)
    recs=[]; t=start
    def emit(fr,dt):
        nonlocal t; t+=dt; recs.append((t,fr))
    hi,lo=(seed>>8)&255,seed&255
    for conn in range(random.randint(1,4)):
        c=[10,hi,lo,1]; s=[10,hi,lo,2]; cp=40000+random.randint(0,3); sp=80
        isn_c=random.choice([random.getrandbits(32),0xfffffff0,0]); isn_s=random.choice([random.getrandbits(32),0xffffff00])
        ws_c=random.choice([None,0,2,7]); ws_s=random.choice([None,0,3,7])
        rtt=random.choice([0.0001,0.001,0.01,0.05])
        cn=isn_c; sn=isn_s  # next seq
        cack=0; sack=0
        def opt(ws): return b'' if ws is None else b'\x03\x03'+bytes([ws])
        handshake=random.random()<0.85
        if handshake:
            for i in range(random.choice([1,1,1,2])): emit(frame(c,s,cp,sp,cn,0,S,64240,0,opt(ws_c)),rtt if i else random.random()*0.01)
            cn+=1
            if random.random()<0.1:
                emit(frame(s,c,sp,cp,sn,cn,R|A,0),rtt/2); continue
            emit(frame(s,c,sp,cp,sn,cn,S|A,65000,0,opt(ws_s)),rtt/2); sn+=1
            emit(frame(c,s,cp,sp,cn,sn,A,random.choice([502,1000,65535])),rtt/2)
        cwin=random.choice([502,1000,65535,2]); swin=random.choice([502,64,65535,3])
        for step in range(random.randint(5,80)):
            r=random.random(); dt=random.choice([0,0.00001,0.0005,0.002,0.01,0.03,rtt])
            fromc=random.random()<0.6
            if fromc: a,b,ap,bp,n,ak,w=c,s,cp,sp,cn,sn,cwin
            else: a,b,ap,bp,n,ak,w=s,c,sp,cp,sn,cn,swin
            L=random.choice([1,1,10,100,1460,1460,1460])
            if r<0.35:   # data
                emit(frame(a,b,ap,bp,n,ak,A|P,w,L),dt); n+=L
            elif r<0.42: # lost (skip)
                n+=L
            elif r<0.5:  # retransmit/older
                back=random.choice([L,2*L,1,random.randint(1,3000)])
                emit(frame(a,b,ap,bp,n-back,ak,A,w,min(L,back) if random.random()<0.8 else L),dt)
            elif r<0.6:  # pure ack / dup ack
                for i in range(random.choice([1,1,2,3,4])): emit(frame(a,b,ap,bp,n,ak,A,w),dt if i==0 else 0.0001)
            elif r<0.65: # zero window
                emit(frame(a,b,ap,bp,n,ak,A,0),dt); w=0
            elif r<0.7:  # window change
                w=random.choice([0,1,2,100,502,65535]); emit(frame(a,b,ap,bp,n,ak,A,w),dt)
            elif r<0.74: # zero window probe (1 byte at n)
                emit(frame(a,b,ap,bp,n,ak,A,w,1),dt)
                if random.random()<0.5: n+=1
            elif r<0.78: # keep-alive
                emit(frame(a,b,ap,bp,n-1,ak,A,w,random.choice([0,1])),dt)
            elif r<0.83: # ack some of other side (possibly unseen / partial)
                oth = sn if fromc else cn
                ak = oth + random.choice([0,0,-1,-100,10,1460])
                emit(frame(a,b,ap,bp,n,ak,A,w),dt)
            elif r<0.86: # fill window exactly
                emit(frame(a,b,ap,bp,n,ak,A,w,max(1,L)),dt); n+=max(1,L)
            elif r<0.89: # fin
                emit(frame(a,b,ap,bp,n,ak,F|A,w),dt); n+=1
            elif r<0.9:  # rst
                emit(frame(a,b,ap,bp,n,ak,R|A,w),dt)
            elif r<0.93: # duplicate exact frame
                if recs: recs.append((t,recs[-1][1]))
            elif r<0.96: # swap last two frames (reorder)
                if len(recs)>=2: recs[-1],recs[-2]=(recs[-1][0],recs[-2][1]),(recs[-2][0],recs[-1][1])
            else:        # new SYN on same ports (reuse or retransmission)
                emit(frame(c,s,cp,sp,random.choice([isn_c,cn,random.getrandbits(32)]),0,S,64240,0,opt(ws_c)),dt)
            if fromc: cn,sn,cwin=n,ak,w
            else: sn,cn,swin=n,ak,w
            # keep acks roughly current
            if fromc: cack=ak
    return recs

def seeds(args):
    for a in args:
        if '-' in a:
            first,last=a.split('-'); yield from range(int(first),int(last)+1)
        else: yield int(a)

out=sys.argv[1]
if len(sys.argv)<3: sys.exit('usage: random_tcp_conversations.py OUT.pcap SEED [SEED...]')
with open(out,'wb') as f:
    f.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))
    frame_no=1
    for i,seed in enumerate(seeds(sys.argv[2:])):
        recs=conversations(seed,1_700_000_000.0+i*SEED_SPACING)
        print(seed,frame_no,len(recs))
        frame_no+=len(recs)
        for ts,fr in recs:
            sec=int(ts); us=int(round((ts-sec)*1e6))
            if us>=1000000: sec+=1; us-=1000000
            f.write(struct.pack('<IIII',sec,us,len(fr),len(fr))+fr)
